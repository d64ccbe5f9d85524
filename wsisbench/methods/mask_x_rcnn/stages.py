"""Stage functions shared by Mask^X R-CNN and the baselines of its paper (GrabCut, class-agnostic, oracle).

Each takes ``(ctx, out_dir)`` (see :class:`wsisbench.pipeline.Stage`) plus keyword settings, and returns
the stage summary. Training settings (``cfg.train``, ``cfg.detector_train``, ``cfg.mask_train``)::

    dict(batch_size=8, num_workers=0, max_iters=300,
         optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4)),
         param_scheduler=[...], loader=dict(...extra DataLoader keys...))
"""
from __future__ import annotations

import json
from pathlib import Path

import torch

from wsisbench.errors import WsisbenchError
from wsisbench.pipeline import RunContext
from wsisbench.pipeline.step_timer_hook import read_train_profile
from wsisbench.pipeline.training import WEIGHTS_NAME, load_trained, train_with_runner

from .class_split import class_labels, resolve_class_subset
from .data import train_dataset, train_loader, val_dataset
from .evaluation import evaluate_subsets
from .model_config import complete_model, detector_only, mask_head_only
from .prediction import predict_to_json

#: file a reused detector stage leaves instead of weights (``detector_weights`` in the config)
SOURCE_NAME = "source.json"


def check_inputs(cfg) -> None:
    """Fail before any training when a user-supplied file is missing: the ImageNet checkpoint of paper
    presets, the word-embedding file of the 'embedding' transfer input."""
    from wsisbench.models.mask_x.word_embeddings import require_file

    from .model_config import imagenet_init_cfg

    imagenet_init_cfg(cfg)
    head = cfg.model.roi_head.get("mask_head") or {}
    tin = head.get("transfer_input") or {}
    if tin.get("kind") == "embedding":
        require_file(tin.get("embedding_file"))


def use_cpu_threads(ctx: RunContext) -> None:
    """``cfg.cpu_threads`` torch threads on CPU (None: torch's default). One thread is much faster than two
    on a CPU that other processes share (no spinning at OpenMP barriers)."""
    n = ctx.cfg.get("cpu_threads")
    if ctx.device == "cpu" and n:
        torch.set_num_threads(int(n))


def class_names(ctx: RunContext) -> list[str]:
    return list(ctx.benchmark.class_names(ctx.data_root))


def mask_classes(ctx: RunContext) -> list[str] | None:
    """Names of the classes whose masks train the model (A); None = all (oracle)."""
    return resolve_class_subset(ctx.cfg.split.get("mask_classes"), class_names(ctx), ctx.benchmark.embedded)


def full_model(ctx: RunContext, with_imagenet: bool = True) -> dict:
    names = class_names(ctx)
    return complete_model(ctx.cfg, names, class_labels(mask_classes(ctx), names), with_imagenet)


def _train(ctx: RunContext, out_dir: Path, model: dict, train_cfg, dataset: dict) -> dict:
    use_cpu_threads(ctx)
    if train_cfg is None:
        raise WsisbenchError("the config lacks the training settings of this stage (train / detector_train / "
                             "mask_train)")
    train_with_runner(ctx, out_dir, model=model, train_dataloader=train_loader(ctx, dataset, train_cfg),
                      optim_wrapper=train_cfg.optim_wrapper, max_iters=train_cfg.max_iters,
                      param_scheduler=train_cfg.get("param_scheduler"))
    return {"profile": {"train_iters": train_cfg.max_iters, "batch_size": train_cfg.batch_size,
                        "sec_per_iter": read_train_profile(out_dir).get("sec_per_iter")}}


def train_end_to_end(ctx: RunContext, out_dir: Path, ann_file: Path | None = None,
                     all_masks: bool = False) -> dict:
    """Mask R-CNN trained jointly: box losses on every class, mask loss on ``split.mask_classes``.

    ``ann_file`` replaces the train annotations (e.g. GrabCut masks); ``all_masks`` trains masks of every
    class from it.
    """
    names = class_names(ctx)
    masks = None if all_masks else mask_classes(ctx)
    model = complete_model(ctx.cfg, names, class_labels(masks, names))
    return _train(ctx, out_dir, model, ctx.cfg.train, train_dataset(ctx, names, masks, ann_file))


def train_detector(ctx: RunContext, out_dir: Path) -> dict:
    """Stage-wise, first stage: Faster R-CNN on the boxes of all classes (or reuse ``cfg.detector_weights``)."""
    reuse = ctx.cfg.get("detector_weights")
    if reuse:
        path = Path(str(reuse)).expanduser().resolve()
        if not path.is_file():
            raise WsisbenchError(f"detector_weights {path} does not exist (give the weights.pth of a finished "
                                 f"train_detector stage)")
        if ctx.is_main:
            (out_dir / SOURCE_NAME).write_text(json.dumps({"detector_weights": str(path)}))
        return {"reused_detector": str(path)}
    names = class_names(ctx)
    model = detector_only(full_model(ctx))
    dataset = train_dataset(ctx, names, [], pipeline=_box_pipeline(ctx.cfg.train_pipeline))
    return _train(ctx, out_dir, model, ctx.cfg.get("detector_train", ctx.cfg.get("train")), dataset)


def detector_weights_of(stage_dir: Path) -> Path:
    """The Faster R-CNN weights a ``train_detector`` stage produced or points to."""
    source = stage_dir / SOURCE_NAME
    if source.is_file():
        return Path(json.loads(source.read_text())["detector_weights"])
    return stage_dir / WEIGHTS_NAME


def train_mask_head(ctx: RunContext, out_dir: Path) -> dict:
    """Stage-wise, second stage: the detector is loaded and frozen; only the mask head learns (masks of A)."""
    names = class_names(ctx)
    weights = detector_weights_of(ctx.stage_dir("train_detector"))
    model = mask_head_only(full_model(ctx, with_imagenet=False), weights)
    return _train(ctx, out_dir, model, ctx.cfg.get("mask_train", ctx.cfg.get("train")),
                  train_dataset(ctx, names, mask_classes(ctx)))


def _box_pipeline(pipeline) -> list:
    """The train pipeline without mask loading (the first stage reads boxes only)."""
    out = []
    for t in pipeline:
        t = dict(t)
        if t.get("type", "").split(".")[-1] == "LoadAnnotations":
            t["with_mask"] = False
        out.append(t)
    return out


def predict(ctx: RunContext, out_dir: Path, weights: Path, model: dict, mask_fn=None) -> dict:
    """Predict the eval split with ``model`` loaded from ``weights``; writes ``predictions/<split>.json``."""
    use_cpu_threads(ctx)
    net = load_trained(model, weights, ctx.device)
    split = ctx.cfg.benchmark.eval_split
    return predict_to_json(ctx, net, val_dataset(ctx, class_names(ctx)), out_dir, split,
                           batch_size=ctx.cfg.get("test", {}).get("batch_size", 8), mask_fn=mask_fn)


def evaluate(ctx: RunContext, out_dir: Path, predict_stage: str = "predict_val") -> dict:
    """Mask AP on each subset of ``cfg.split.evaluate`` for the predictions of ``predict_stage``."""
    split = ctx.cfg.benchmark.eval_split
    path = ctx.stage_dir(predict_stage) / "predictions" / f"{split}.json"
    return evaluate_subsets(ctx, path, class_names(ctx), split)

"""Stage functions of partially supervised instance segmentation with mmdet detectors (public API).

Mask^X R-CNN and the baselines of its paper (GrabCut, class-agnostic head, oracle) are built from these.
Each takes ``(ctx, out_dir)`` (see :class:`wsisbench.pipeline.Stage`) plus keyword settings and returns the
stage summary. Training blocks (``cfg.train``, ``cfg.detector_train``, ``cfg.mask_train``) have the one
shape of every training stage (:func:`wsisbench.pipeline.training.build_train_loader`).
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

from wsisbench.errors import WsisbenchError
from wsisbench.pipeline import RunContext
from wsisbench.pipeline.stage import training_share
from wsisbench.pipeline.training import WEIGHTS_NAME, load_trained, train_with_runner

from .class_split import class_labels, resolve_class_subset
from .data import annotation_path, train_dataset, val_dataset
from .evaluation import evaluate_subsets
from .models import complete_model, detector_only
from .prediction import predict_to_json

#: file a reused detector stage leaves instead of weights (``detector_weights`` in the config)
SOURCE_NAME = "source.json"




def mask_classes(ctx: RunContext) -> list[str] | None:
    """Names of the classes whose masks train the model (A); None = all (oracle)."""
    return resolve_class_subset(ctx.cfg.split.get("mask_classes"), ctx.class_names(), ctx.benchmark)


def full_model(ctx: RunContext, with_imagenet: bool = True) -> dict:
    """``cfg.model`` completed for the run (classes, mask-supervised labels, ImageNet checkpoint)."""
    names = ctx.class_names()
    return complete_model(ctx.cfg, names, class_labels(mask_classes(ctx), names), with_imagenet)


def train(ctx: RunContext, out_dir: Path, model: dict, block, dataset: dict, prefix: str = "") -> dict:
    """Train ``model`` on ``dataset`` as the training ``block`` says; returns the stage summary, whose profile
    keys start with ``prefix`` (the stage-wise detector's are ``detector_*``: a run has one ``sec_per_iter``)."""
    trained = train_with_runner(ctx, out_dir, model=model, dataset=dataset, block=block)
    return {"profile": {f"{prefix}train_iters": trained["iters"], f"{prefix}batch_size": trained["batch_size"],
                        f"{prefix}sec_per_iter": trained["sec_per_iter"]}}


def train_end_to_end(ctx: RunContext, out_dir: Path, ann_file: Path | None = None,
                     all_masks: bool = False) -> dict:
    """Mask R-CNN trained jointly: box losses on every class, mask loss on ``split.mask_classes``.

    ``ann_file`` replaces the train annotations (e.g. GrabCut masks); ``all_masks`` trains masks of every
    class from it.
    """
    names = ctx.class_names()
    masks = None if all_masks else mask_classes(ctx)
    model = complete_model(ctx.cfg, names, class_labels(masks, names))
    return train(ctx, out_dir, model, ctx.cfg.train, train_dataset(ctx, names, masks, ann_file))


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
    names = ctx.class_names()
    model = detector_only(full_model(ctx))
    dataset = train_dataset(ctx, names, [], pipeline=box_pipeline(ctx.cfg.train_pipeline))
    return train(ctx, out_dir, model, ctx.cfg.get("detector_train", ctx.cfg.get("train")), dataset,
                 prefix="detector_")


def detector_share(cfg) -> dict:
    """What :func:`train_detector` computes from: presets that agree on it share one trained detector (the
    stage-wise Mask^X R-CNN heads, GrabCut in boxes) through the runner's ``stage_cache``."""
    model = copy.deepcopy(cfg.model.to_dict())
    for key in ("mask_roi_extractor", "mask_head", "mask_train_labels"):
        model["roi_head"].pop(key, None)
    return training_share(cfg, model=model, train=cfg.get("detector_train", cfg.get("train")),
                          pipeline=box_pipeline(cfg.train_pipeline), data=cfg.data,
                          detector_weights=cfg.get("detector_weights"))


def detector_weights(ctx: RunContext) -> Path:
    """The Faster R-CNN weights the ``train_detector`` stage produced or points to."""
    source = ctx.artifact("train_detector") / SOURCE_NAME
    if source.is_file():
        return Path(json.loads(source.read_text())["detector_weights"])
    return ctx.artifact("train_detector", WEIGHTS_NAME)


def box_pipeline(pipeline) -> list:
    """The train pipeline without mask loading (a detector's training reads boxes only)."""
    out = []
    for t in pipeline:
        t = dict(t)
        if t.get("type", "").split(".")[-1] == "LoadAnnotations":
            t["with_mask"] = False
        out.append(t)
    return out


def predict(ctx: RunContext, out_dir: Path, weights: Path, model: dict, mask_fn=None) -> dict:
    """Predict the eval split with ``model`` loaded from ``weights``; writes ``predictions/<split>.json``."""
    net = load_trained(model, weights, ctx.device)
    split = ctx.cfg.benchmark.eval_split
    return predict_to_json(ctx, net, val_dataset(ctx, ctx.class_names()), out_dir, split,
                           batch_size=ctx.cfg.get("test", {}).get("batch_size", 8), mask_fn=mask_fn)


def evaluate(ctx: RunContext, out_dir: Path, predict_stage: str = "predict_val") -> dict:
    """Mask AP on each subset of ``cfg.split.evaluate`` for the predictions of ``predict_stage``."""
    split = ctx.cfg.benchmark.eval_split
    path = ctx.artifact(predict_stage, f"predictions/{split}.json")
    return evaluate_subsets(ctx, path, ctx.class_names(), split, annotation_path(ctx, "val_ann"))

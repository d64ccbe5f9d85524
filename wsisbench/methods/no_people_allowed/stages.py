"""NoPeopleAllowed's stages (see ``method.py`` for their order and inputs).

Image ids and label lists follow the LID layout (:mod:`wsisbench.datasets.lid`): an id is the image's path
relative to the split's image folder without its extension; a label line is ``<id> <c1> <c2> ...`` with
1-based class ids (label ``k`` in maps = class ``k - 1`` of ``ctx.class_names()``).
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

import mmcv
import numpy as np

from wsisbench.datasets.png import write_label_png
from wsisbench.errors import WsisbenchError
from wsisbench.evaluation.api import evaluate_semantic
from wsisbench.evaluation.per_image import stage_file
from wsisbench.localization import image_cams, normalize_maps
from wsisbench.models.dsrg import dense_crf
from wsisbench.pipeline import RunContext
from wsisbench.pipeline.preflight import apply_pretrained, pretrained_for
from wsisbench.pipeline.qualitative import qualitative_entry
from wsisbench.pipeline.training import WEIGHTS_NAME, load_trained, train_with_runner
from wsisbench.utils.atomic import atomic_write_bytes, atomic_write_json, atomic_write_text
from wsisbench.utils.progress import progress

from .labels import balance_by_downsampling, class_counts, remove_class
from .selection import BEST_RECORD, BEST_WEIGHTS

#: prepare_labels' artifacts: every prepared label line, the classifier's training part, its held-out tail
PREPARED_ALL = "labels.txt"
PREPARED_TRAIN = "train.txt"
PREPARED_HOLDOUT = "holdout.txt"
REPORT = "report.json"
#: cams_crf's label-map folders (one per split) and class scores of the train images
STEP1_DIRS = {"train": "train", "val": "val"}
TRAIN_SCORES = "train_scores.json"


# ---------------------------------------------------------------- reading the LID layout
def lid_samples(ctx: RunContext, split: str, ann_file: str | Path | None = None) -> list[dict]:
    """Samples of LID split ``split`` (``img_path``, ``img_id``, ``image_labels``; ``seg_map_path`` when the
    split has ground truth); ``ann_file`` overrides the split's label list (a prepared one)."""
    from wsisbench.datasets.lid import LIDSegDataset

    kwargs = {} if ann_file is None else {"ann_file": str(ann_file)}
    ds = LIDSegDataset(data_root=str(ctx.data_root), split=split, show_progress=False, test_mode=True,
                       metainfo=dict(classes=tuple(ctx.class_names())), **kwargs)
    return [ds.get_data_info(i) for i in range(len(ds))]


def label_lines(labels: dict[str, list[int]], ids: list[str]) -> str:
    """LID label-list text of ``ids``: ``<id> <1-based class ids>`` per line."""
    return "".join(f"{i} {' '.join(str(c + 1) for c in labels[i])}\n" for i in ids)


def _named_counts(counts: dict[int, int], names: list[str]) -> dict[str, int]:
    return {names[c]: n for c, n in counts.items()}


# ---------------------------------------------------------------- prepare_labels (Sec. 3.1, "Input")
def prepare_labels(ctx: RunContext, out_dir: Path) -> dict:
    """Person removal and balancing of the train split's image labels; the held-out tail for model selection.

    Config ``labels``: ``remove_person`` (bool), ``person_class`` (its name), ``balance_target`` (None or images
    per class, :func:`balance_by_downsampling`), ``seed`` (of the balancing order), ``holdout`` (fraction of
    the prepared images, taken from the end of the list, that the classifier does not train on).
    Artifacts: ``labels.txt`` (all prepared), ``train.txt``, ``holdout.txt`` and ``report.json`` (image and
    per-class counts before / after each step).
    """
    opts = ctx.cfg.labels
    names = ctx.class_names()
    samples = lid_samples(ctx, ctx.cfg.benchmark.train_split)
    published = {s["img_id"]: list(s["image_labels"]) for s in samples if s["image_labels"]}
    order = [s["img_id"] for s in samples if s["img_id"] in published]
    report: dict = {"images_listed": len(samples), "images_labelled": len(published),
                    "class_counts_published": _named_counts(class_counts(published), names), "steps": []}
    labels = published
    if opts.get("remove_person", True):
        person = opts.get("person_class", "person")
        if person not in names:
            raise WsisbenchError(f"labels.person_class: {person!r} is not a class of benchmark "
                                 f"{ctx.benchmark.name!r}")
        labels, step = remove_class(labels, names.index(person))
        report["steps"].append({"step": "remove_person", "class": person, **_named_step(step, names)})
    target = opts.get("balance_target")
    if target:
        labels, step = balance_by_downsampling(labels, int(target), seed=int(opts.get("seed", 0)))
        report["steps"].append({"step": "balance_by_downsampling", **_named_step(step, names)})
    kept = [i for i in order if i in labels]
    fraction = float(opts.get("holdout", 0.0))
    if not 0.0 <= fraction < 1.0:
        raise WsisbenchError(f"labels.holdout must be a fraction in [0, 1), got {fraction}")
    n_hold = min(len(kept) - 1, math.ceil(fraction * len(kept))) if fraction > 0 else 0
    train_ids, hold_ids = kept[:len(kept) - n_hold], kept[len(kept) - n_hold:]
    if not train_ids:
        raise WsisbenchError("no labelled training image is left after the label preparation")
    atomic_write_text(out_dir / PREPARED_ALL, label_lines(labels, kept))
    atomic_write_text(out_dir / PREPARED_TRAIN, label_lines(labels, train_ids))
    atomic_write_text(out_dir / PREPARED_HOLDOUT, label_lines(labels, hold_ids))
    report.update(images_prepared=len(kept), images_train=len(train_ids), images_holdout=len(hold_ids),
                  class_counts_prepared=_named_counts(class_counts(labels), names))
    atomic_write_json(out_dir / REPORT, report)
    ctx.log(f"prepare_labels: {len(published)} labelled train images -> {len(kept)} "
            f"({len(train_ids)} train, {len(hold_ids)} held out)")
    return {"profile": {"label_images_before": len(published), "label_images_after": len(kept),
                        "label_images_holdout": len(hold_ids)}}


def _named_step(step: dict, names: list[str]) -> dict:
    out = dict(step)
    for key in ("class_counts_before", "class_counts_after"):
        out[key] = _named_counts(step[key], names)
    return out


# ---------------------------------------------------------------- train_classifier (Step 1, Sec. 3.1)
def model_cfg(ctx: RunContext) -> dict:
    model = ctx.cfg.model.to_dict()
    model["num_classes"] = len(ctx.class_names())
    if model["backbone"]["type"] == "VGG16Extra":  # loads a torchvision VGG-16 state dict itself
        model["backbone"]["pretrained"] = pretrained_for(ctx.cfg)
        return model
    return apply_pretrained(model, ctx.cfg)


def train_classifier(ctx: RunContext, out_dir: Path) -> dict:
    """Multi-label classifier (per-class BCE) on the PREPARED labels; weights of the best held-out F1."""
    cfg = ctx.cfg
    dataset = dict(type="LIDClsDataset", data_root=str(ctx.data_root), split=cfg.benchmark.train_split,
                   ann_file=str(ctx.artifact("prepare_labels", PREPARED_TRAIN)),
                   metainfo=dict(classes=tuple(ctx.class_names())), show_progress=False, pipeline=cfg.train_pipeline)
    select = cfg.get("select", {}) or {}
    hooks = []
    holdout_file = ctx.artifact("prepare_labels", PREPARED_HOLDOUT)
    holdout = lid_samples(ctx, cfg.benchmark.train_split, holdout_file) if holdout_file.stat().st_size else []
    if select.get("enabled", True) and holdout:
        hooks.append(dict(type="ImageLabelF1Hook", samples=[(s["img_path"], s["image_labels"]) for s in holdout],
                          num_classes=len(ctx.class_names()), interval=int(select.get("interval", 50)),
                          threshold=float(select.get("threshold", 0.5)), average=select.get("average", "macro")))
    trained = train_with_runner(ctx, out_dir, model=model_cfg(ctx), dataset=dataset, block=cfg.train,
                                custom_hooks=hooks)
    profile = {"sec_per_iter": trained["sec_per_iter"], "train_iters": trained["iters"],
               "batch_size": trained["batch_size"]}
    best = out_dir / BEST_WEIGHTS
    if ctx.is_main and best.is_file():
        atomic_write_bytes(out_dir / WEIGHTS_NAME, best.read_bytes())  # the selected weights
        best.unlink()
        record = json.loads((out_dir / BEST_RECORD).read_text())
        profile.update(selected_iter=record["iter"], holdout_f1=record["f1"])
    ctx.barrier()
    return {"profile": profile}


# ---------------------------------------------------------------- cams_crf (Step 1's output)
def crf_label_map(cams: np.ndarray, present: list[int], rgb: np.ndarray, bg_score: float,
                  crf: dict | None) -> np.ndarray:
    """Label map uint8 [H, W] (0 background, c + 1 class c) from raw CAMs [K, H, W] of the ``present`` classes.

    Scores per pixel: background the constant ``bg_score`` in [0, 1], each present class its CAM scaled to
    [0, 1] by its maximum. Without ``crf`` the label is their argmax (background where no present CAM reaches
    ``bg_score``); with it the scores, divided by their sum, are the unary of the dense CRF
    (:func:`wsisbench.models.dsrg.dense_crf`, its keyword arguments in ``crf``) and the label its argmax.
    """
    h, w = cams.shape[1:]
    if not present:
        return np.zeros((h, w), np.uint8)
    scores = np.concatenate([np.full((1, h, w), bg_score, np.float32), normalize_maps(cams[present])])
    if crf is not None:
        scores = dense_crf(scores / scores.sum(axis=0, keepdims=True), rgb, **crf)
    lookup = np.array([0] + [c + 1 for c in present], dtype=np.uint8)
    return lookup[scores.argmax(axis=0)]


def _crf_kwargs(cfg) -> dict | None:
    crf = dict(cfg.get("crf", {}) or {})
    return None if not crf.pop("enabled", True) else crf


def cams_crf(ctx: RunContext, out_dir: Path) -> dict:
    """CAMs of the prepared train images (their prepared labels) and of the val images, refined by the dense
    CRF, as label PNGs ``train/<id>.png`` and ``val/<id>.png``.

    Val classes: ``cams.val_labels='predicted'`` (default) takes those with sigmoid score >= ``score_threshold``
    (at least the best one); ``'gt'`` the ground-truth image labels (an upper bound on the classification).
    ``train_scores.json``: per train image its labelled classes' scores, Step 2's confidence filter.
    """
    cfg = ctx.cfg
    cam_cfg = cfg.cams
    crf = _crf_kwargs(cfg)
    model = load_trained(model_cfg(ctx), ctx.artifact("train_classifier", WEIGHTS_NAME), ctx.device)
    names = ctx.class_names()
    profile: dict = {"crf": crf is not None, "val_labels": cam_cfg.get("val_labels", "predicted")}
    qualitative: list[dict] = []
    splits = list(cam_cfg.get("splits", ("train", "val")))
    for split in splits:
        if split == "train":
            samples = lid_samples(ctx, cfg.benchmark.train_split, ctx.artifact("prepare_labels", PREPARED_ALL))
        elif split == "val":
            samples = lid_samples(ctx, cfg.benchmark.eval_split)
        else:
            raise WsisbenchError(f"cams.splits: {split!r} is neither 'train' nor 'val'")
        folder = out_dir / STEP1_DIRS[split]
        folder.mkdir(exist_ok=True)
        train_scores: dict[str, dict[str, float]] = {}
        start = time.perf_counter()
        for s in progress(ctx.shard(samples), desc=f"CAM + CRF {split}", disable=not ctx.is_main):
            img = mmcv.imread(s["img_path"])
            cams, scores = image_cams(model, img, scales=cam_cfg.scales, flip=cam_cfg.flip, device=ctx.device)
            if split == "train" or cam_cfg.get("val_labels", "predicted") == "gt":
                present = list(s["image_labels"])
            elif cam_cfg.get("val_labels", "predicted") == "predicted":
                present = [int(c) for c in np.flatnonzero(scores >= cam_cfg.score_threshold)]
                present = present or [int(scores.argmax())]
            else:
                raise WsisbenchError(f"cams.val_labels must be 'predicted' or 'gt', got {cam_cfg.val_labels!r}")
            labels = crf_label_map(cams, present, np.ascontiguousarray(img[..., ::-1]), cam_cfg.bg_threshold, crf)
            target = folder / f"{s['img_id']}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            write_label_png(target, labels)
            if split == "train":
                train_scores[s["img_id"]] = {names[c]: float(scores[c]) for c in present}
            elif len(qualitative) < cam_cfg.get("num_qualitative", 4) and ctx.is_main:
                qualitative.append(qualitative_entry(out_dir, s["img_path"], s.get("seg_map_path"), pred=target))
        per_img = (time.perf_counter() - start) / max(1, len(ctx.shard(samples)))
        if split == "train":
            if ctx.distributed:  # every process scored its share
                from mmengine.dist import all_gather_object

                train_scores = {k: v for part in all_gather_object(train_scores) for k, v in part.items()}
            if ctx.is_main:
                atomic_write_json(out_dir / TRAIN_SCORES, dict(sorted(train_scores.items())))
            profile["train_cam_crf_sec_per_img"] = per_img
        else:
            profile["sec_per_img"] = per_img
            profile["inference_scales"] = list(cam_cfg.scales)
            profile["inference_flip"] = bool(cam_cfg.flip)
    ctx.barrier()
    return {"profile": profile, "qualitative": qualitative}


# ---------------------------------------------------------------- evaluate_step1
def evaluate_step1(ctx: RunContext, out_dir: Path) -> dict:
    """Step 1 (classification + CRF) on the val split by the common semantic evaluator: ``val_step1``."""
    split = ctx.cfg.benchmark.eval_split
    samples = lid_samples(ctx, split)
    per_image, ref = stage_file(out_dir, "val_step1")
    evaluation = evaluate_semantic([(s["img_id"], s["seg_map_path"]) for s in samples],
                                   ctx.artifact("cams_crf", STEP1_DIRS["val"]), ["background", *ctx.class_names()],
                                   ctx.benchmark.ignore_index, out_of_range=ctx.benchmark.semantic_out_of_range,
                                   split=split, progress=ctx.is_main, per_image=per_image)
    evaluation["per_image"] = ref
    return {"evaluations": {"val_step1": evaluation}}



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
import torch
import torch.nn.functional as F

from wsisbench.datasets.png import read_label_png, write_label_png
from wsisbench.errors import WsisbenchError
from wsisbench.evaluation.api import evaluate_semantic
from wsisbench.evaluation.per_image import stage_file
from wsisbench.localization import image_cams, normalize_maps
from wsisbench.models.dsrg import dense_crf
from wsisbench.models.inputs import model_input
from wsisbench.pipeline import RunContext
from wsisbench.pipeline.preflight import apply_pretrained, pretrained_for
from wsisbench.pipeline.qualitative import qualitative_entry
from wsisbench.pipeline.stage import training_share
from wsisbench.pipeline.training import WEIGHTS_NAME, load_trained, train_with_runner
from wsisbench.utils.atomic import atomic_write_json, atomic_write_text
from wsisbench.utils.progress import progress

from .irnet import boundary_affinity, random_walk
from .labels import balance_by_downsampling, class_counts, remove_class
from .selection import HeldOutMIoUHook, ImageLabelF1Hook, keep_best_weights, segmenter_logits
from .tta import tta_predict

#: prepare_labels' artifacts: every prepared label line, the classifier's training part, its held-out tail
PREPARED_ALL = "labels.txt"
PREPARED_TRAIN = "train.txt"
PREPARED_HOLDOUT = "holdout.txt"
REPORT = "report.json"
#: the label-map folders (one per split) of cams_crf, random_walk_labels and segment; class scores of the train
#: images (cams_crf); the images IRNet trains on (train_irnet)
STEP_DIRS = {"train": "train", "val": "val"}
#: cams_crf's CAMs on the random walk's grid, ``strided/<split>/<id>.npz``, read by random_walk_labels
STRIDED_DIR = "strided"
TRAIN_SCORES = "train_scores.json"
CONFIDENT = "confident.txt"
PERSON_LIST = "person.txt"


# ---------------------------------------------------------------- what each stage's output depends on
# (``Stage.share``: presets that differ only later, e.g. TTA on and off, reuse the earlier stages through
# ``stage_cache``; the contents of a stage's inputs are part of its key too)
def labels_share(cfg) -> dict:
    return training_share(cfg, labels=cfg.labels)


def classifier_share(cfg) -> dict:
    return training_share(cfg, model=cfg.model, train_pipeline=cfg.train_pipeline, train=cfg.train,
                          select=cfg.get("select"))


def cams_share(cfg) -> dict:
    return training_share(cfg, cams={k: v for k, v in cfg.cams.items() if k != "num_qualitative"},
                          crf=cfg.get("crf"))


def irnet_share(cfg) -> dict:
    return training_share(cfg, irnet=cfg.irnet)


def random_walk_share(cfg) -> dict:  # the CAMs it walks come from cams_crf, an input (its content is in the key)
    return training_share(cfg, random_walk=cfg.random_walk)


def segmenter_share(cfg) -> dict:
    return training_share(cfg, segmenter={k: v for k, v in cfg.segmenter.items() if k != "tta"},
                          maps=segmenter_maps_stage(cfg))


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
    """The classifier's config; ImageNet weights from ``pretrained`` (or ``pretrained.classifier``)."""
    model = ctx.cfg.model.to_dict()
    model["num_classes"] = len(ctx.class_names())
    if model["backbone"]["type"] == "VGG16Extra":  # loads a torchvision VGG-16 state dict itself
        model["backbone"]["pretrained"] = pretrained_for(ctx.cfg, "classifier")
        return model
    return apply_pretrained(model, ctx.cfg, network="classifier")


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
    profile.update(keep_best_weights(ctx, out_dir, ImageLabelF1Hook.metric))
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


def present_classes(split: str, sample: dict, scores: np.ndarray, cam_cfg) -> list[int]:
    """The classes whose maps an image gets: a train image its prepared labels; a val image the classes the
    classifier predicts (sigmoid ``scores`` >= ``cams.score_threshold``, at least the best one), or its true
    labels under ``cams.val_labels='gt'``."""
    mode = cam_cfg.get("val_labels", "predicted")
    if split == "train" or mode == "gt":
        return list(sample["image_labels"])
    if mode != "predicted":
        raise WsisbenchError(f"cams.val_labels must be 'predicted' or 'gt', got {mode!r}")
    present = [int(c) for c in np.flatnonzero(scores >= cam_cfg.score_threshold)]
    return present or [int(scores.argmax())]


def split_samples(ctx: RunContext, split: str) -> list[dict]:
    """The images a map-making stage labels: ``'train'`` the prepared train images (with their prepared
    labels), ``'val'`` the evaluation split."""
    if split == "train":
        return lid_samples(ctx, ctx.cfg.benchmark.train_split, ctx.artifact("prepare_labels", PREPARED_ALL))
    if split == "val":
        return lid_samples(ctx, ctx.cfg.benchmark.eval_split)
    raise WsisbenchError(f"cams.splits: {split!r} is neither 'train' nor 'val'")


def _crf_kwargs(cfg) -> dict | None:
    crf = dict(cfg.get("crf", {}) or {})
    return None if not crf.pop("enabled", True) else crf


def keep_strided_cams(path: Path, cams: np.ndarray, present: list[int], stride: int) -> None:
    """Save the ``present`` classes' CAMs [K, H, W] area-pooled to the ``ceil(H / stride) x ceil(W / stride)``
    grid (IRNet's stride-4 CAMs), as ``.npz`` with ``classes`` int64 [P] and ``cams`` float32 [P, h, w]."""
    h, w = cams.shape[1:]
    grid = (math.ceil(h / stride), math.ceil(w / stride))
    pooled = F.adaptive_avg_pool2d(torch.from_numpy(np.ascontiguousarray(cams[present]))[None], grid)[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, classes=np.asarray(present, np.int64), cams=pooled.numpy().astype(np.float32))


def cams_crf(ctx: RunContext, out_dir: Path) -> dict:
    """CAMs of the prepared train images (their prepared labels) and of the val images, refined by the dense
    CRF, as label PNGs ``train/<id>.png`` and ``val/<id>.png``; the same classes' CAMs on the random walk's
    grid (stride ``cams.walk_stride``, 4 as in IRNet) as ``strided/<split>/<id>.npz`` for Step 2.

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
        samples = split_samples(ctx, split)
        folder = out_dir / STEP_DIRS[split]
        folder.mkdir(exist_ok=True)
        train_scores: dict[str, dict[str, float]] = {}
        start = time.perf_counter()
        for s in progress(ctx.shard(samples), desc=f"CAM + CRF {split}", disable=not ctx.is_main):
            img = mmcv.imread(s["img_path"])
            cams, scores = image_cams(model, img, scales=cam_cfg.scales, flip=cam_cfg.flip, device=ctx.device)
            present = present_classes(split, s, scores, cam_cfg)
            labels = crf_label_map(cams, present, np.ascontiguousarray(img[..., ::-1]), cam_cfg.bg_threshold, crf)
            target = folder / f"{s['img_id']}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            write_label_png(target, labels)
            keep_strided_cams(out_dir / STRIDED_DIR / STEP_DIRS[split] / f"{s['img_id']}.npz", cams, present,
                              int(cam_cfg.get("walk_stride", 4)))
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


# ---------------------------------------------------------------- train_irnet (Step 2, Sec. 3.2)
def image_confidence(scores: dict[str, float]) -> float:
    """An image's classification confidence: the lowest sigmoid score among its labelled classes (every
    label must be recognised for its map to be trusted); 0 for an image without labels."""
    return min(scores.values()) if scores else 0.0


def confident_images(train_scores: dict[str, dict[str, float]], threshold: float) -> list[str]:
    """Ids of the train images whose confidence (:func:`image_confidence`) exceeds ``threshold``, in order."""
    return [i for i, sc in train_scores.items() if image_confidence(sc) > threshold]


def irnet_model_cfg(ctx: RunContext) -> dict:
    """IRNet's config; its frozen backbone's ImageNet weights from ``pretrained`` (or ``pretrained.irnet``)."""
    return apply_pretrained(ctx.cfg.irnet.model.to_dict(), ctx.cfg, network="irnet")


def _seg_dataset(ctx: RunContext, ann_file: Path, seg_dir: Path, pipeline) -> dict:
    """LID train images with the label maps of ``seg_dir`` as their ground truth (pseudo-labels)."""
    return dict(type="LIDSegDataset", data_root=str(ctx.data_root), split=ctx.cfg.benchmark.train_split,
                ann_file=str(ann_file), data_prefix=dict(seg_map_path=str(seg_dir)), show_progress=False,
                metainfo=dict(classes=tuple(ctx.class_names())), pipeline=pipeline)


def train_irnet(ctx: RunContext, out_dir: Path) -> dict:
    """IRNet's boundary and displacement branches on the Step 1 label maps of the confident train images.

    Config ``irnet``: ``confidence`` (the paper's 0.8), ``model`` (:class:`IRNet`), ``train_pipeline`` (random
    rescale by 0.5 / 1 / 1.5 / 2, crop, flip), ``train`` (training block: SGD, lr 0.05 for the displacement
    branch and 0.005 for the boundary branch). Artifacts: ``confident.txt`` (the images trained on, LID
    label-list lines), ``weights.pth``.
    """
    cfg = ctx.cfg.irnet
    names = ctx.class_names()
    scores = json.loads(ctx.artifact("cams_crf", TRAIN_SCORES).read_text())
    ids = confident_images(scores, float(cfg.confidence))
    if not ids:
        best = max((image_confidence(v) for v in scores.values()), default=0.0)
        raise WsisbenchError(f"train_irnet: no train image has a classification confidence above "
                             f"irnet.confidence={cfg.confidence} (the highest is {best:.3f}); lower it or "
                             f"train the classifier longer")
    labels = {i: sorted(names.index(n) for n in scores[i]) for i in ids}
    listing = out_dir / CONFIDENT
    if ctx.is_main:
        atomic_write_text(listing, label_lines(labels, ids))
    ctx.barrier()
    dataset = _seg_dataset(ctx, listing, ctx.artifact("cams_crf", STEP_DIRS["train"]), cfg.train_pipeline)
    trained = train_with_runner(ctx, out_dir, model=irnet_model_cfg(ctx), dataset=dataset, block=cfg.train)
    ctx.log(f"train_irnet: {len(ids)} of {len(scores)} train images above confidence {cfg.confidence}")
    return {"profile": {"irnet_images": len(ids), "irnet_images_available": len(scores),
                        "irnet_sec_per_iter": trained["sec_per_iter"], "irnet_train_iters": trained["iters"],
                        "irnet_batch_size": trained["batch_size"]}}


# ---------------------------------------------------------------- random_walk (Step 2's output)
@torch.no_grad()
def irnet_boundary(model, img_bgr: np.ndarray, device: str) -> torch.Tensor:
    """IRNet's boundary map [h, w] of one image (mean of the image's and its flip's), on the finest grid."""
    x = model_input(model, img_bgr, device)
    boundary, _ = model.branches(torch.cat([x, x.flip(-1)]))
    return ((boundary[0, 0] + boundary[1, 0].flip(-1)) / 2).float().cpu()


def propagated_label_map(cams: np.ndarray, classes: list[int], boundary: torch.Tensor, size: tuple[int, int],
                         rw: dict) -> np.ndarray:
    """Step 2's label map uint8 [H, W] (0 background, c + 1 class c) of an image of ``size`` (H, W), from the
    CAMs [P, h, w] of its ``classes`` (one map per class, in that order, at any resolution) and a boundary map
    [h', w'], as IRNet makes its semantic labels.

    The CAMs, area-pooled to the boundary grid (unchanged when already on it) and scaled to [0, 1] per class,
    are propagated by the random walk (``rw``: ``radius``, ``beta``, ``iterations``; maps times ``1 - B``
    first), resized to H x W (bilinear) and divided by their overall maximum; background is the constant
    ``rw['bg_threshold']`` (the paper's "IRNet thr.", 0.3 or 0.5) and each pixel takes the argmax.
    """
    h_img, w_img = size
    if not len(classes):
        return np.zeros((h_img, w_img), np.uint8)
    if len(cams) != len(classes):
        raise WsisbenchError(f"propagated_label_map: {len(cams)} CAMs for {len(classes)} classes")
    grid = tuple(boundary.shape)
    maps = F.adaptive_avg_pool2d(torch.from_numpy(np.ascontiguousarray(cams))[None], grid)[0]
    maps = maps / maps.flatten(1).amax(dim=1).clamp(min=1e-5)[:, None, None]
    affinity = boundary_affinity(boundary, float(rw["radius"]))
    walked = random_walk(maps, affinity, beta=float(rw["beta"]), iterations=int(rw["iterations"]),
                         boundary=boundary)
    up = F.interpolate(walked[None], size=(h_img, w_img), mode="bilinear", align_corners=False)[0]
    up = up / up.max().clamp(min=1e-5)
    scores = torch.cat([torch.full((1, h_img, w_img), float(rw["bg_threshold"])), up])
    lookup = np.array([0] + [c + 1 for c in classes], dtype=np.uint8)
    return lookup[scores.argmax(dim=0).numpy()]


def read_strided_cams(path: Path) -> tuple[np.ndarray, list[int]]:
    """``(cams float32 [P, h, w], classes)`` written by :func:`keep_strided_cams`."""
    if not path.is_file():
        raise WsisbenchError(f"{path}: missing; cams_crf keeps the CAMs of the splits in cams.splits only")
    with np.load(path) as data:
        return data["cams"], [int(c) for c in data["classes"]]


def random_walk_labels(ctx: RunContext, out_dir: Path) -> dict:
    """Step 2's label maps of the prepared train images and of the val images (``train/<id>.png``,
    ``val/<id>.png``): the strided CAMs cams_crf kept (the classes :func:`present_classes` picked),
    propagated by the random walk on IRNet's boundary affinities (:func:`propagated_label_map`; config
    ``random_walk``)."""
    cfg = ctx.cfg
    strided = ctx.artifact("cams_crf", STRIDED_DIR)
    irnet = load_trained(irnet_model_cfg(ctx), ctx.artifact("train_irnet", WEIGHTS_NAME), ctx.device)
    rw = cfg.random_walk
    profile: dict = {"irnet_bg_threshold": float(rw.bg_threshold), "random_walk_beta": float(rw.beta),
                     "random_walk_iterations": int(rw.iterations), "random_walk_radius": float(rw.radius)}
    qualitative: list[dict] = []
    for split in list(rw.get("splits", ("train", "val"))):
        samples = split_samples(ctx, split)
        folder = out_dir / STEP_DIRS[split]
        start = time.perf_counter()
        for s in progress(ctx.shard(samples), desc=f"random walk {split}", disable=not ctx.is_main):
            img = mmcv.imread(s["img_path"])
            cams, classes = read_strided_cams(strided / STEP_DIRS[split] / f"{s['img_id']}.npz")
            labels = propagated_label_map(cams, classes, irnet_boundary(irnet, img, ctx.device), img.shape[:2], rw)
            target = folder / f"{s['img_id']}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            write_label_png(target, labels)
            if split == "val" and len(qualitative) < cfg.cams.get("num_qualitative", 4) and ctx.is_main:
                qualitative.append(qualitative_entry(out_dir, s["img_path"], s.get("seg_map_path"), pred=target))
        profile[f"step2_{split}_sec_per_img"] = (time.perf_counter() - start) / max(1, len(ctx.shard(samples)))
    ctx.barrier()
    return {"profile": profile, "qualitative": qualitative}


# ---------------------------------------------------------------- the person variant (Table 3, "Person")
def person_share(cfg) -> dict:
    return training_share(cfg, person=cfg.person, model=cfg.model, train_pipeline=cfg.train_pipeline,
                          train=cfg.train)


def _person_index(ctx: RunContext) -> int:
    person = ctx.cfg.labels.get("person_class", "person")
    names = ctx.class_names()
    if person not in names:
        raise WsisbenchError(f"labels.person_class: {person!r} is not a class of benchmark {ctx.benchmark.name!r}")
    return names.index(person)


def person_model_cfg(ctx: RunContext) -> dict:
    """The binary person classifier: the classifier's network with one output."""
    model = model_cfg(ctx)
    model["num_classes"] = 1
    return model


def train_person_classifier(ctx: RunContext, out_dir: Path) -> dict:
    """A binary person classifier (one sigmoid output, BCE) on every labelled and unlabelled train image, positive
    where the published labels name 'person' (their missing labels included: the paper trains on LID's).

    Artifacts: ``person.txt`` (LID label list over the one class 'person'), ``weights.pth``.
    """
    cfg = ctx.cfg
    person = _person_index(ctx)
    samples = lid_samples(ctx, cfg.benchmark.train_split)
    listing = out_dir / PERSON_LIST
    if ctx.is_main:
        atomic_write_text(listing, "".join(f"{s['img_id']}{' 1' if person in s['image_labels'] else ''}\n"
                                           for s in samples))
    ctx.barrier()
    dataset = dict(type="LIDClsDataset", data_root=str(ctx.data_root), split=cfg.benchmark.train_split,
                   ann_file=str(listing), metainfo=dict(classes=("person",)), show_progress=False,
                   drop_unlabelled=False, pipeline=cfg.train_pipeline)
    trained = train_with_runner(ctx, out_dir, model=person_model_cfg(ctx), dataset=dataset,
                                block=cfg.person.get("train") or cfg.train)
    positives = sum(person in s["image_labels"] for s in samples)
    return {"profile": {"person_images": len(samples), "person_positives": positives,
                        "person_sec_per_iter": trained["sec_per_iter"], "person_train_iters": trained["iters"]}}


def merge_person(label: np.ndarray, person_cam: np.ndarray, score: float, person_label: int,
                 score_threshold: float, cam_threshold: float) -> np.ndarray:
    """The person merge rule: an image whose person score reaches ``score_threshold`` gets ``person_label`` on
    its background pixels (label 0) where its person CAM, scaled to [0, 1] by its maximum, reaches
    ``cam_threshold``; the other classes keep their pixels and ignored pixels stay ignored. ``label`` uint8
    [H, W], ``person_cam`` [H, W] raw (non-negative)."""
    if score < score_threshold:
        return label
    peak = float(person_cam.max())
    if peak <= 0:
        return label
    out = label.copy()
    out[(label == 0) & (person_cam / peak >= cam_threshold)] = person_label
    return out


def person_labels(ctx: RunContext, out_dir: Path) -> dict:
    """Step 2's train label maps with the person CAM merged in (:func:`merge_person`; config ``person``):
    ``train/<id>.png``, the maps DeepLabv3+ trains on in the person variant."""
    cfg = ctx.cfg
    model = load_trained(person_model_cfg(ctx), ctx.artifact("train_person_classifier", WEIGHTS_NAME), ctx.device)
    person = _person_index(ctx) + 1
    samples = split_samples(ctx, "train")
    source = ctx.artifact("random_walk_labels", STEP_DIRS["train"])
    folder = out_dir / STEP_DIRS["train"]
    merged = 0
    for s in progress(ctx.shard(samples), desc="person merge", disable=not ctx.is_main):
        cams, scores = image_cams(model, mmcv.imread(s["img_path"]), scales=cfg.cams.scales, flip=cfg.cams.flip,
                                  device=ctx.device)
        label = read_label_png(source / f"{s['img_id']}.png")
        out = merge_person(label, cams[0], float(scores[0]), person, float(cfg.person.score_threshold),
                           float(cfg.person.cam_threshold))
        merged += int(out is not label)
        target = folder / f"{s['img_id']}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        write_label_png(target, out)
    ctx.barrier()
    return {"profile": {"person_merged_images": merged}}


def segmenter_maps_stage(cfg) -> str:
    """The stage whose train label maps DeepLabv3+ trains on: Step 2's, or those with the person merged in."""
    return "person_labels" if (cfg.get("person") or {}).get("enabled", False) else "random_walk_labels"


# ---------------------------------------------------------------- train_segmenter (Step 3, Sec. 3.3)
def segmenter_model_cfg(ctx: RunContext) -> dict:
    """DeepLabv3+'s config; its encoder's ImageNet weights from ``pretrained`` (or ``pretrained.segmenter``)."""
    model = ctx.cfg.segmenter.model.to_dict()
    model["decode_head"]["num_classes"] = len(ctx.class_names()) + 1  # background + the classes
    return apply_pretrained(model, ctx.cfg, network="segmenter")


def train_segmenter(ctx: RunContext, out_dir: Path) -> dict:
    """DeepLabv3+ (mmsegmentation's ``DepthwiseSeparableASPPHead`` in an ``EncoderDecoder``) trained with
    cross-entropy (ignore 255) on Step 2's label maps of the prepared train images; the held-out tail of
    ``prepare_labels`` is not trained on and selects the weights by its mIoU against its Step 2 maps
    (``segmenter.select``; the paper selects by val mIoU, ``select.on='val'`` does so)."""
    cfg = ctx.cfg.segmenter
    maps = ctx.artifact(segmenter_maps_stage(ctx.cfg), STEP_DIRS["train"])
    dataset = _seg_dataset(ctx, ctx.artifact("prepare_labels", PREPARED_TRAIN), maps, cfg.train_pipeline)
    select = dict(cfg.get("select", {}) or {})
    hooks = []
    if select.get("enabled", True):
        on = select.get("on", "holdout")
        if on == "holdout":
            listing = ctx.artifact("prepare_labels", PREPARED_HOLDOUT)
            held = lid_samples(ctx, ctx.cfg.benchmark.train_split, listing) if listing.stat().st_size else []
            pairs = [(s["img_path"], str(maps / f"{s['img_id']}.png")) for s in held]
        elif on == "val":
            pairs = [(s["img_path"], s["seg_map_path"]) for s in lid_samples(ctx, ctx.cfg.benchmark.eval_split)]
        else:
            raise WsisbenchError(f"segmenter.select.on must be 'holdout' or 'val', got {on!r}")
        if pairs:
            hooks.append(dict(type="HeldOutMIoUHook", samples=pairs, num_classes=len(ctx.class_names()) + 1,
                              interval=int(select.get("interval", 100)),
                              ignore_index=int(ctx.benchmark.ignore_index)))
    trained = train_with_runner(ctx, out_dir, model=segmenter_model_cfg(ctx), dataset=dataset, block=cfg.train,
                                custom_hooks=hooks)
    profile = {"segmenter_sec_per_iter": trained["sec_per_iter"], "segmenter_train_iters": trained["iters"],
               "segmenter_batch_size": trained["batch_size"]}
    kept = keep_best_weights(ctx, out_dir, HeldOutMIoUHook.metric)
    profile.update({f"segmenter_{k}": v for k, v in kept.items()})
    return {"profile": profile}


# ---------------------------------------------------------------- segment (Step 3's output)
def segment(ctx: RunContext, out_dir: Path) -> dict:
    """Step 3's label maps of the val images (``val/<id>.png``): the argmax of the segmenter's softmax, with
    TTA (the mean over horizontal flip x scales 0.5 / 1 / 2) when ``segmenter.tta.enabled``."""
    cfg = ctx.cfg.segmenter
    model = load_trained(segmenter_model_cfg(ctx), ctx.artifact("train_segmenter", WEIGHTS_NAME), ctx.device)
    tta = dict(cfg.get("tta", {}) or {})
    scales, flip = (tuple(tta.get("scales", (0.5, 1.0, 2.0))), bool(tta.get("flip", True))) \
        if tta.get("enabled", True) else ((1.0,), False)
    logits = segmenter_logits(model)
    samples = lid_samples(ctx, ctx.cfg.benchmark.eval_split)
    folder = out_dir / STEP_DIRS["val"]
    qualitative: list[dict] = []
    start = time.perf_counter()
    for s in progress(ctx.shard(samples), desc="segment val", disable=not ctx.is_main):
        probs = tta_predict(logits, model_input(model, mmcv.imread(s["img_path"]), ctx.device), scales=scales,
                            flip=flip, mode="softmax", align_corners=False)
        target = folder / f"{s['img_id']}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        write_label_png(target, probs[0].argmax(dim=0).to(torch.uint8).cpu().numpy())
        if len(qualitative) < ctx.cfg.cams.get("num_qualitative", 4) and ctx.is_main:
            qualitative.append(qualitative_entry(out_dir, s["img_path"], s.get("seg_map_path"), pred=target))
    ctx.barrier()
    return {"profile": {"step3_sec_per_img": (time.perf_counter() - start) / max(1, len(ctx.shard(samples))),
                        "tta": bool(tta.get("enabled", True)), "tta_scales": list(scales), "tta_flip": flip},
            "qualitative": qualitative}


# ---------------------------------------------------------------- evaluate_step1 / 2 / 3
def _evaluate(ctx: RunContext, out_dir: Path, key: str, stage: str) -> dict:
    """The val label maps of ``stage`` scored by the common semantic evaluator (mIoU, mAcc, aAcc) as ``key``."""
    split = ctx.cfg.benchmark.eval_split
    samples = lid_samples(ctx, split)
    per_image, ref = stage_file(out_dir, key)
    evaluation = evaluate_semantic([(s["img_id"], s["seg_map_path"]) for s in samples],
                                   ctx.artifact(stage, STEP_DIRS["val"]), ["background", *ctx.class_names()],
                                   ctx.benchmark.ignore_index, out_of_range=ctx.benchmark.semantic_out_of_range,
                                   split=split, progress=ctx.is_main, per_image=per_image)
    evaluation["per_image"] = ref
    return {"evaluations": {key: evaluation}}


def evaluate_step1(ctx: RunContext, out_dir: Path) -> dict:
    """Step 1 (classification + CRF) on the val split: ``val_step1``."""
    return _evaluate(ctx, out_dir, "val_step1", "cams_crf")


def evaluate_step2(ctx: RunContext, out_dir: Path) -> dict:
    """Step 2 (IRNet's random walk) on the val split: ``val_step2``."""
    return _evaluate(ctx, out_dir, "val_step2", "random_walk_labels")


def evaluate_step3(ctx: RunContext, out_dir: Path) -> dict:
    """Step 3 (DeepLabv3+, with TTA when enabled) on the val split: ``val_step3``."""
    return _evaluate(ctx, out_dir, "val_step3", "segment")

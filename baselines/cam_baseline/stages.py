"""The CAM baseline's stages (see ``method.py`` for their order and inputs)."""
from __future__ import annotations

from pathlib import Path

import mmcv
import numpy as np

from wsisbench.datasets.png import write_label_png
from wsisbench.evaluation.api import evaluate_semantic
from wsisbench.evaluation.profiling import Profiler
from wsisbench.localization import image_cams, label_map_from_cams, normalize_maps
from wsisbench.pipeline import RunContext
from wsisbench.pipeline.preflight import apply_pretrained
from wsisbench.pipeline.qualitative import qualitative_entry
from wsisbench.pipeline.training import WEIGHTS_NAME, load_trained, train_with_runner
from wsisbench.utils.progress import progress

#: the label-map folder of the CAM stages
LABELS_DIR = "labels"






def model_cfg(ctx: RunContext) -> dict:
    model = ctx.cfg.model.to_dict()
    model["num_classes"] = len(ctx.class_names())
    return apply_pretrained(model, ctx.cfg)


def train_classifier(ctx: RunContext, out_dir: Path) -> dict:
    """Multi-label GAP classifier on the image labels of the train split."""
    cfg = ctx.cfg
    dataset = dict(type="VOCClsDataset", data_root=str(ctx.data_root), split=cfg.benchmark.train_split,
                   metainfo=dict(classes=tuple(ctx.class_names())), show_progress=False, pipeline=cfg.train_pipeline)
    trained = train_with_runner(ctx, out_dir, model=model_cfg(ctx), dataset=dataset, block=cfg.train)
    return {"profile": {"sec_per_iter": trained["sec_per_iter"], "train_iters": trained["iters"],
                        "batch_size": trained["batch_size"]}}


def write_label_maps(ctx: RunContext, out_dir: Path, split: str, use_gt_labels: bool) -> tuple[float, list[dict]]:
    """CAM label maps ``labels/<id>.png`` of ``split``; returns (sec/img, qualitative entries).

    ``use_gt_labels``: the classes of an image are its ground-truth labels (pseudo-labels of train); else
    those whose sigmoid score reaches ``cam.score_threshold`` (at least the best one).
    """
    cam_cfg = ctx.cfg.cam
    model = load_trained(model_cfg(ctx), ctx.artifact("train_classifier", WEIGHTS_NAME), ctx.device)
    samples = ctx.shard(ctx.split_samples(split))
    (out_dir / LABELS_DIR).mkdir(exist_ok=True)
    profiler = Profiler(device=ctx.device, warmup=1)
    qualitative: list[dict] = []  # a few images with their label map and CAM for reports
    with profiler.phase("inference") as phase:
        for s in progress(samples, desc=f"CAMs {split}", disable=not ctx.is_main):
            img = mmcv.imread(s["img_path"])
            with phase.step(num_images=1):  # everything for one image: all scales and flips
                cams, scores = image_cams(model, img, scales=cam_cfg.scales, flip=cam_cfg.flip, device=ctx.device)
            if use_gt_labels:
                present = s["image_labels"]
            else:
                present = [int(c) for c in np.flatnonzero(scores >= cam_cfg.score_threshold)]
                present = present or [int(scores.argmax())]
            labels = label_map_from_cams(cams, present, cam_cfg.bg_threshold)
            write_label_png(out_dir / LABELS_DIR / f"{s['img_id']}.png", labels)
            if len(qualitative) < cam_cfg.get("num_qualitative", 4) and ctx.is_main:
                cam_file = out_dir / LABELS_DIR / f"{s['img_id']}_cam.npy"
                np.save(cam_file, normalize_maps(cams[present]))
                qualitative.append(qualitative_entry(out_dir, s["img_path"], s["seg_map_path"],
                                                     pred=out_dir / LABELS_DIR / f"{s['img_id']}.png", cam=cam_file))
    return profiler.summary()["sec_per_img"], qualitative


def pseudo_labels_train(ctx: RunContext, out_dir: Path) -> dict:
    sec_per_img, _ = write_label_maps(ctx, out_dir, ctx.cfg.benchmark.train_split, use_gt_labels=True)
    return {"profile": {"pseudo_label_sec_per_img": sec_per_img}}


def predict_val(ctx: RunContext, out_dir: Path) -> dict:
    cam = ctx.cfg.cam
    sec_per_img, qualitative = write_label_maps(ctx, out_dir, ctx.cfg.benchmark.eval_split, use_gt_labels=False)
    return {"profile": {"sec_per_img": sec_per_img, "inference_scales": list(cam.scales),
                        "inference_flip": bool(cam.flip)},
            "qualitative": qualitative}


def _evaluate(ctx: RunContext, split: str, pred_stage: str, name: str) -> dict:
    from wsisbench.evaluation.per_image import current_stage_dir, stage_file

    samples = ctx.split_samples(split)
    out_dir = current_stage_dir(ctx)  # the running evaluation stage's folder
    per_image, ref = stage_file(out_dir, name) if out_dir is not None else (False, None)
    evaluation = evaluate_semantic([(s["img_id"], s["seg_map_path"]) for s in samples],
                                   ctx.artifact(pred_stage, LABELS_DIR), ["background", *ctx.class_names()],
                                   ctx.benchmark.ignore_index, out_of_range=ctx.benchmark.semantic_out_of_range,
                                   split=split, progress=ctx.is_main, per_image=per_image)
    if ref is not None:
        evaluation["per_image"] = ref  # per-image statistics for paired comparisons, relative to the work dir
    return {"evaluations": {name: evaluation}}


def evaluate_train(ctx: RunContext, out_dir: Path) -> dict:
    return _evaluate(ctx, ctx.cfg.benchmark.train_split, "pseudo_labels_train", "pseudo_train")


def evaluate_val(ctx: RunContext, out_dir: Path) -> dict:
    return _evaluate(ctx, ctx.cfg.benchmark.eval_split, "predict_val", "val")

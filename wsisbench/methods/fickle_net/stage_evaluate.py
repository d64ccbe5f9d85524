"""Stages ``evaluate_pseudo_labels`` (train split) and ``evaluate_val`` (semantic protocol)."""
from __future__ import annotations

from pathlib import Path

from wsisbench.pipeline import RunContext
from wsisbench.pipeline.semantic_evaluation import evaluate_label_maps

from .samples import class_names, gt_dir, split_samples
from .seed_evaluation import evaluate_seeds
from .stage_localization import SEEDS_DIR


def pseudo_label_split(ctx: RunContext) -> str:
    """The split whose pseudo-labels are scored (``pseudo_eval.split``, default the training split)."""
    return (ctx.cfg.get("pseudo_eval") or {}).get("split") or ctx.cfg.benchmark.train_split


def evaluate_pseudo_labels(ctx: RunContext, out_dir: Path) -> dict:
    """``pseudo_train``: unassigned (255) pixels count as background (filled pseudo-labels, what papers
    report as pseudo-label mIoU); ``pseudo_train_seeds``: only assigned pixels, plus their coverage."""
    split = pseudo_label_split(ctx)
    samples = split_samples(ctx, split)
    seeds = ctx.stage_dir("localization_maps_train") / SEEDS_DIR
    names = class_names(ctx)
    filled = evaluate_label_maps(ctx, seeds, gt_dir(samples), [s["img_id"] for s in samples], names, split,
                                 out_of_range="background")
    filled["unassigned_pixels"] = "scored as background (0)"
    return {"evaluations": {"pseudo_train": filled,
                            "pseudo_train_seeds": evaluate_seeds(ctx, seeds, samples, names, split)}}


def evaluate_val(ctx: RunContext, out_dir: Path) -> dict:
    split = ctx.cfg.benchmark.eval_split
    samples = split_samples(ctx, split)
    evaluation = evaluate_label_maps(ctx, ctx.stage_dir("predict_val") / "labels", gt_dir(samples),
                                     [s["img_id"] for s in samples], class_names(ctx), split)
    return {"evaluations": {"val": evaluation}}

"""Stage ``repeat_inference_std`` (Table 6): spread of the pseudo-label quality over repeated extractions.

For ``repeat.num_repeats`` R different random seeds, the maps of ``repeat.num_images`` training images
(the first ones of the sorted split: a fixed subset) are extracted again with N passes for every N in
``repeat.num_passes``; each (N, repeat) gives a filled pseudo-label mIoU and foreground precision/recall
over the subset. Reported per N: mean and standard deviation over the R repeats (sample std, ddof = 1).
Within one repeat the N values share their first passes (N = 10 is a prefix of N = 100), which leaves
every N's R repeats independent. One backbone forward per image serves all repeats and N.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from wsisbench.datasets.voc_instances import read_label_map
from wsisbench.evaluation.semantic import SemanticConfusion
from wsisbench.pipeline import RunContext
from wsisbench.pipeline.training import load_trained
from wsisbench.utils.progress import progress

from .model_configs import classifier_cfg
from .pixel_masks import KeepSampler
from .pseudo_labels import image_generator, image_map_statistics, label_map
from .requirements import check_saliency
from .samples import class_names, split_samples
from .seed_evaluation import foreground_precision_recall, gather_confusion


def _mean_std(values: list[float]) -> tuple[float, float]:
    arr = np.asarray(values, dtype=np.float64)
    return float(arr.mean()), float(arr.std(ddof=1)) if arr.size > 1 else 0.0


def repeat_inference_std(ctx: RunContext, out_dir: Path) -> dict:
    cfg = ctx.cfg
    loc, rep = cfg.localization, cfg.repeat
    saliency_dir = check_saliency(cfg)
    model = load_trained(classifier_cfg(ctx, for_loading=True),
                         ctx.stage_dir("train_classifier") / "weights.pth", ctx.device)
    names = class_names(ctx)
    subset = sorted(split_samples(ctx, cfg.benchmark.train_split), key=lambda s: s["img_id"])
    subset = subset[: int(rep.num_images)]
    checkpoints = sorted(int(n) for n in rep.num_passes)
    repeats = int(rep.num_repeats)
    confusions = {(n, r): SemanticConfusion(len(names) + 1, 255, "background")
                  for n in checkpoints for r in range(repeats)}
    sampler = KeepSampler(ctx.device)
    start = time.perf_counter()
    mine = ctx.shard(subset)
    for s in progress(mine, desc="repeated maps", disable=not ctx.is_main):
        gt = read_label_map(s["seg_map_path"])
        for r in range(repeats):
            gen = image_generator(s["img_id"], cfg.seed + loc.get("seed", 0), ctx.device, repeat=r + 1)
            stats = image_map_statistics(model, s["img_path"], s["image_labels"], checkpoints, loc, gen, sampler)
            for n, maps in zip(checkpoints, stats):
                confusions[(n, r)].update(gt, label_map(maps, loc, s["img_id"], saliency_dir), name=s["img_id"])
    evaluations = {}
    for n in checkpoints:
        miou, prec, rec = [], [], []
        for r in range(repeats):
            conf = gather_confusion(ctx, confusions[(n, r)])
            miou.append(conf.compute()["mIoU"])
            p, q = foreground_precision_recall(conf.matrix)
            prec.append(p)
            rec.append(q)
        (m_mean, m_std), (p_mean, p_std), (r_mean, r_std) = _mean_std(miou), _mean_std(prec), _mean_std(rec)
        evaluations[f"repeat_N{n}"] = {
            "protocol": "semantic-repeated-inference", "task": "semantic", "split": cfg.benchmark.train_split,
            "num_images": len(subset), "num_repeats": repeats, "num_passes": n,
            "metrics": {"mean_mIoU": m_mean, "std_mIoU": m_std, "mean_precision": p_mean,
                        "std_precision": p_std, "mean_recall": r_mean, "std_recall": r_std},
            "per_repeat": {"mIoU": miou, "precision": prec, "recall": rec},
        }
        ctx.log(f"N={n}: pseudo-label mIoU {100 * m_mean:.2f} +- {100 * m_std:.3f} over {repeats} repeats "
                f"({len(subset)} images)")
    return {"evaluations": evaluations,
            "profile": {"repeat_sec_per_img": (time.perf_counter() - start) / max(1, len(mine))}}

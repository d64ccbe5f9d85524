"""Stage ``localization_maps_train``: N stochastic Grad-CAMs per training image -> seed PNGs (Sec. 3.2)."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from wsisbench.datasets.png import write_label_png
from wsisbench.datasets.voc_instances import read_label_map
from wsisbench.pipeline import RunContext
from wsisbench.pipeline.qualitative import qualitative_entry
from wsisbench.pipeline.training import load_trained
from wsisbench.utils.progress import progress

from .fast_cams import fast_path_applies
from .model_configs import classifier_cfg
from .pixel_masks import KeepSampler
from .pseudo_labels import image_generator, image_map_statistics, label_map
from .requirements import check_saliency
from .samples import class_names, split_samples
from .seed_evaluation import SeedScorer

SEEDS_DIR = "seeds"


def localization_maps_train(ctx: RunContext, out_dir: Path) -> dict:
    """Write ``seeds/<id>.png`` for every training image (0 bg, 1..K, 255 unassigned) for its GT labels.

    Each rank handles its shard (``ctx.shard``); the random passes of an image are seeded from the image
    id, so the maps do not depend on the number of ranks. ``localization.bg_threshold_sweep`` (train
    split only) also scores the seeds for each listed background threshold (coverage, background /
    foreground precision, mIoU over assigned pixels): the light tuning of the background rule.
    """
    cfg = ctx.cfg
    loc = cfg.localization
    saliency_dir = check_saliency(cfg)
    model = load_trained(classifier_cfg(ctx, for_loading=True),
                         ctx.stage_dir("train_classifier") / "weights.pth", ctx.device)
    names = class_names(ctx)
    samples = ctx.shard(split_samples(ctx, cfg.benchmark.train_split))
    seeds_dir = out_dir / SEEDS_DIR
    seeds_dir.mkdir(parents=True, exist_ok=True)
    sweep = [float(b) for b in loc.get("bg_threshold_sweep", [])]
    scorers = {b: SeedScorer(names) for b in sweep}
    sampler = KeepSampler(ctx.device)
    passes = int(loc.num_passes)
    if ctx.device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    qualitative: list[dict] = []  # a few train images: seeds and the mean stochastic map, for reports
    for s in progress(samples, desc="FickleNet maps", disable=not ctx.is_main):
        gen = image_generator(s["img_id"], cfg.seed + loc.get("seed", 0), ctx.device)
        (maps,) = image_map_statistics(model, s["img_path"], s["image_labels"], [passes], loc, gen, sampler)
        write_label_png(seeds_dir / f"{s['img_id']}.png", label_map(maps, loc, s["img_id"], saliency_dir))
        if ctx.is_main and len(qualitative) < int(loc.get("num_qualitative", 4)):
            mean_file = seeds_dir / f"{s['img_id']}_mean_map.npy"
            np.save(mean_file, maps.mean.cpu().numpy().astype(np.float16))
            qualitative.append(qualitative_entry(
                out_dir, s["img_path"], s["seg_map_path"], pred=seeds_dir / f"{s['img_id']}.png", cam=mean_file,
                caption=f"train {s['img_id']}: seeds (255 = unassigned) and mean map of {passes} stochastic passes"))
        if sweep:
            gt = read_label_map(s["seg_map_path"])
            for b in sweep:
                scorers[b].update(gt, label_map(maps, loc, s["img_id"], saliency_dir, b), name=s["img_id"])
    if ctx.device == "cuda":
        torch.cuda.synchronize()
    per_img = (time.perf_counter() - start) / max(1, len(samples))
    summary = {"profile": {"sec_per_img": per_img, "maps_sec_per_img": per_img, "num_passes": passes,
                           "maps_fast_path": bool(loc.get("fast", True)) and fast_path_applies(model.net.head)},
               "qualitative": qualitative}
    if sweep:
        summary["bg_threshold_sweep"] = {str(b): sc.gather(ctx).metrics() for b, sc in scorers.items()}
        for b, m in summary["bg_threshold_sweep"].items():
            ctx.log(f"bg_threshold {b}: coverage {100 * m['coverage']:.1f}, bg precision "
                    f"{100 * m['bg_precision']:.1f}, fg precision {100 * m['fg_precision']:.1f}, "
                    f"mIoU over assigned pixels {100 * m['mIoU']:.2f} (train split)")
    return summary

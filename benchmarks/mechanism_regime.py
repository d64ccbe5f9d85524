"""Regime check of the mechanism benchmark: does a plain CAM stop at the discriminative parts?

Reads a finished ``cam_baseline`` run on the mechanism benchmark (its ``result.json`` config and trained
classifier), recomputes the CAMs of the train split with the ground-truth image labels (the run's scales and
flip), and prints, for each background threshold, the recall of the seeds on part pixels and on body pixels
and their foreground precision (definitions in ``wsisbench.benchmarks.mechanism.regime.part_body_recall``).
The row of the run's own threshold is also recounted from its stored ``pseudo_labels_train`` label maps.

    python benchmarks/mechanism_regime.py WORK_DIR [--thresholds 0.2 0.35 0.5 0.7] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import mmcv
from mmengine.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from baselines.cam_baseline.stages import LABELS_DIR, class_names, model_cfg, split_samples  # noqa: E402
from wsisbench.benchmarks.mechanism.regime import part_body_recall, read_part_map  # noqa: E402
from wsisbench.datasets.png import read_label_png  # noqa: E402
from wsisbench.localization import image_cams, label_map_from_cams  # noqa: E402
from wsisbench.pipeline.training import WEIGHTS_NAME, load_trained  # noqa: E402
from wsisbench.utils.progress import progress  # noqa: E402


class _Context:
    """The few RunContext attributes the CAM baseline's helpers read."""

    def __init__(self, cfg: Config, data_root: Path):
        from wsisbench.benchmarks import get_benchmark

        self.cfg, self.data_root = cfg, data_root
        self.benchmark = get_benchmark(cfg.benchmark.name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("work_dir", type=Path, help="a finished cam_baseline run on the mechanism benchmark")
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.1, 0.2, 0.35, 0.5, 0.7],
                        help="background thresholds on the max-normalised CAM")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args(argv)

    result_file = args.work_dir / "result.json"
    if not result_file.is_file():
        parser.error(f"{result_file}: no result.json (run `wsisbench run --method cam_baseline --preset mechanism`)")
    result = json.loads(result_file.read_text())
    cfg = Config(result["config"])
    if cfg.benchmark.name != "mechanism" or result.get("method") != "cam_baseline":
        parser.error(f"{result_file}: a cam_baseline run on the mechanism benchmark is needed, got "
                     f"{result.get('method')} on {cfg.benchmark.name}")
    data_root = Path(result["data_fingerprint"]["root"])
    ctx = _Context(cfg, data_root)
    model = load_trained(model_cfg(ctx), args.work_dir / "train_classifier" / WEIGHTS_NAME, "cpu")
    samples = split_samples(ctx, cfg.benchmark.train_split)

    seeds = {t: [] for t in args.thresholds}  # uint8 label maps, 16 KiB per image at 128 px
    stored, truth = [], []
    for s in progress(samples, desc="CAMs train"):
        img = mmcv.imread(s["img_path"])
        cams, _ = image_cams(model, img, scales=cfg.cam.scales, flip=cfg.cam.flip)
        gt = read_label_png(s["seg_map_path"])
        parts = read_part_map(data_root, s["img_id"])
        truth.append((gt, parts))
        for t in args.thresholds:
            seeds[t].append(label_map_from_cams(cams, s["image_labels"], t))
        stored.append(read_label_png(args.work_dir / "pseudo_labels_train" / LABELS_DIR / f"{s['img_id']}.png"))

    gts, parts = [g for g, _ in truth], [p for _, p in truth]
    rows = [{"threshold": t, "source": "recomputed", **part_body_recall(seeds[t], gts, parts)}
            for t in args.thresholds]
    rows.append({"threshold": float(cfg.cam.bg_threshold), "source": "run's label maps",
                 **part_body_recall(stored, gts, parts)})

    print(f"CAM seeds on the train split of {data_root.name} ({len(samples)} images, "
          f"{len(class_names(ctx))} classes)")
    print(f"{'threshold':>9}  {'source':<17} {'part recall':>11} {'body recall':>11} {'body/part':>9} "
          f"{'fg precision':>12}")
    for r in rows:
        print(f"{r['threshold']:>9.2f}  {r['source']:<17} {r['part_recall']:>11.3f} {r['body_recall']:>11.3f} "
              f"{r['body_to_part']:>9.3f} {r['precision']:>12.3f}")
    if args.json:
        args.json.write_text(json.dumps({"data": data_root.name, "images": len(samples), "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Fixtures for report/check tests: small result.json files shaped like the run pipeline's output."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

CLASSES = ["background", "circle", "square", "triangle"]


def write_result(work_dir: Path, method: str = "ficklenet", preset: str = "embedded", data: str = "embedded",
                 miou: float = 0.41, sec_per_img: float = 0.02, peak_rss_mib: float = 900.0,
                 with_pr: bool = True, with_qualitative: bool = True, extra_metrics: dict | None = None) -> Path:
    """A result.json (docs/CONTRACTS.md) in ``work_dir`` with per-class values, PR curves, stages and
    qualitative samples (image, palette prediction, ground truth and a CAM .npy) next to it."""
    work_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(abs(hash((method, preset))) % 2**32)
    iou = {c: float(np.clip(miou + d, 0, 1)) for c, d in zip(CLASSES, (0.4, -0.1, 0.05, -0.15))}
    acc = {c: float(np.clip(v + 0.1, 0, 1)) for c, v in iou.items()}
    evaluation = {"protocol": "semantic", "split": "val", "task": "semantic",
                  "metrics": {"mIoU": miou, "mAcc": miou + 0.1, "aAcc": 0.8, "mIoU_nan0": miou},
                  "per_class": {"IoU": iou, "Acc": acc}, "num_images": 12}
    if with_pr:
        rec = np.linspace(0, 1, 11)
        evaluation["pr_curves"] = {c: {"precision": list(np.clip(1 - rec * (0.3 + 0.1 * i), 0, 1)),
                                       "recall": list(rec), "ap": 0.7 - 0.1 * i} for i, c in enumerate(CLASSES[1:])}
        evaluation["pr_curves_iou"] = 0.5
    metrics = {"val/mIoU": miou, "val/mAcc": miou + 0.1, "val/aAcc": 0.8, "val/mIoU_nan0": miou,
               "time/sec_per_img": sec_per_img, "time/sec_per_iter": 0.2, "memory/peak_rss_mib": peak_rss_mib}
    metrics.update(extra_metrics or {})
    result = {
        "schema": "wsisbench.result/1", "method": method, "preset": preset, "config_hash": "0123456789abcdef",
        "data": data, "benchmark": "embedded" if data == "embedded" else "voc2012",
        "evaluations": {"val": evaluation}, "metrics": metrics,
        "profile": {"device": "cpu", "sec_per_iter": 0.2, "sec_per_img": sec_per_img, "peak_rss_mib": peak_rss_mib,
                    "batch_size": 4, "scales": [1.0]},
        "stages": {"train_classifier": {"wall_time_s": 12.5, "peak_rss_mib": peak_rss_mib, "skipped": False},
                   "extract_maps": {"wall_time_s": 3.1, "peak_rss_mib": 700.0, "skipped": False},
                   "train_segmenter": {"wall_time_s": 20.0, "peak_rss_mib": 850.0, "skipped": True}},
        "environment": {"packages": {"torch": "2.13.0", "mmdet": "3.3.0"}, "git_commit": "abc123", "python": "3.11.7"},
        "config": {"method": method, "preset": preset},
    }
    if with_qualitative:
        samples = []
        for i in range(2):
            img = (rng.random((24, 32, 3)) * 255).astype(np.uint8)
            gt = np.zeros((24, 32), np.uint8)
            gt[4:14, 5:15] = 1
            gt[14:20, 18:30] = 2
            gt[3, :] = 255
            pred = np.roll(gt, 2, axis=1)
            Image.fromarray(img).save(work_dir / f"img{i}.jpg")
            for name, arr in (("gt", gt), ("pred", pred)):
                p = Image.fromarray(arr)  # mode L; putpalette makes it a VOC-style palette PNG
                p.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [200] * (256 * 3 - 9))
                p.save(work_dir / f"{name}{i}.png")
            np.save(work_dir / f"cam{i}.npy", rng.random((3, 12, 16)).astype(np.float32))
            samples.append({"image": f"img{i}.jpg", "gt": f"gt{i}.png", "pred": f"pred{i}.png", "cam": f"cam{i}.npy"})
        samples.append({"image": "missing.jpg", "pred": "pred0.png"})  # a broken sample must not break the report
        result["qualitative"] = samples
    path = work_dir / "result.json"
    path.write_text(json.dumps(result, indent=2))
    return path


@pytest.fixture
def make_result(tmp_path):
    """``make_result(name, **kwargs)`` -> path of a fresh result.json under ``tmp_path/name``."""
    def make(name: str = "run", **kwargs) -> Path:
        return write_result(tmp_path / name, **kwargs)
    return make

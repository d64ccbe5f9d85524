"""Session-wide test settings: a private cache for generated benchmarks, the shared real samples, and small
result.json files shaped like the run pipeline's output (for report and check tests)."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
#: real samples and source documents kept beside the repository (never copied into it)
SHARED = (REPO / ".." / "shared").resolve()
SHARED_DATA = SHARED / "data"
#: set by .ci/run: a missing shared folder fails the tests that need it instead of skipping them
REQUIRE_SHARED = os.environ.get("WSISBENCH_REQUIRE_SHARED") == "1"

# Generated benchmarks go to a fresh cache per test session, never to the user's ~/.cache.
os.environ["WSISBENCH_HOME"] = os.environ.get("WSISBENCH_TEST_HOME") or tempfile.mkdtemp(prefix="wsisbench-home-")
os.environ.setdefault("MPLBACKEND", "Agg")


def _shared(path: Path) -> Path:
    if not path.is_dir():
        if REQUIRE_SHARED:
            pytest.fail(f"{path} is missing, and WSISBENCH_REQUIRE_SHARED=1 says it must be there")
        pytest.skip(f"{path} is not available")
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the repository (real COCO and VOC samples, read-only)."""
    return _shared(SHARED_DATA)


@pytest.fixture(scope="session")
def shared_root() -> Path:
    """``../shared`` beside the repository (the source documents the leaderboards are transcribed from)."""
    return _shared(SHARED)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


# ----------------------------------------------------------------------------- result.json fixtures
CLASSES = ["background", "circle", "square", "triangle"]


def write_result(work_dir: Path, method: str = "fickle_net", preset: str = "embedded", data: str = "embedded",
                 miou: float = 0.41, sec_per_img: float = 0.02, peak_rss_mib: float = 900.0,
                 with_pr: bool = True, with_qualitative: bool = True, extra_metrics: dict | None = None) -> Path:
    """A result.json (docs/CONTRACTS.md) in ``work_dir`` with per-class values, PR curves, stages and
    qualitative samples (image, palette prediction, ground truth and a CAM .npy) next to it."""
    work_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(abs(hash((method, preset))) % 2**32)
    iou = {c: float(np.clip(miou + d, 0, 1)) for c, d in zip(CLASSES, (0.4, -0.1, 0.05, -0.15))}
    acc = {c: float(np.clip(v + 0.1, 0, 1)) for c, v in iou.items()}
    # a class absent from both ground truth and prediction has an undefined IoU and accuracy, as in real runs
    iou["triangle"] = acc["triangle"] = float("nan")
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
        "data_fingerprint": {"content": "f00dfeedf00dfeed", "identity": "0", "root": "/data/somewhere"},
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


# ----------------------------------------------------------------------------- independent metric references
def _semantic_reference(pairs, num_classes: int, background_out_of_range: bool = False) -> dict:
    """mIoU, aAcc and per-class IoU of label PNG pairs ``[(gt_path, pred_path)]`` by plain per-pixel counting
    (numpy bincount, void 255 left out); out-of-range predictions count as background when asked, else fail."""
    n = np.zeros((num_classes, num_classes), np.int64)
    for gt_path, pred_path in pairs:
        g = np.asarray(Image.open(gt_path), np.int64).ravel()
        p = np.asarray(Image.open(pred_path), np.int64).ravel()
        keep = g != 255
        g, p = g[keep], p[keep]
        if background_out_of_range:
            p = np.where(p < num_classes, p, 0)
        assert p.max(initial=0) < num_classes
        n += np.bincount(g * num_classes + p, minlength=num_classes ** 2).reshape(num_classes, num_classes)
    tp = np.diag(n).astype(float)
    union = n.sum(0) + n.sum(1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = tp / union
    return {"mIoU": float(np.nanmean(iou)), "aAcc": float(tp.sum() / n.sum()), "IoU": iou}


@pytest.fixture
def semantic_reference():
    """An evaluator-independent semantic scorer, to check a run's reported metrics against."""
    return _semantic_reference


@pytest.fixture(scope="session")
def star_scene():
    """``star_scene(seed=0, size=128) -> (image uint8 [S, S, 3], object mask bool [S, S], box [x1, y1, x2, y2])``:
    a noisy textured background with one star-like object of another colour (GrabCut tests)."""

    def make(seed=0, size=128):
        rng = np.random.default_rng(seed)
        yy, xx = np.mgrid[:size, :size]
        image = np.stack([90 + 40 * np.sin(xx / 5.0), 120 + 30 * np.cos(yy / 7.0), 100 + 0 * xx], -1)
        image = image + rng.normal(0, 12, image.shape)
        angle = np.arctan2(yy - 60, xx - 70)
        radius = 22 + 8 * np.cos(5 * angle)
        obj = np.hypot(yy - 60, xx - 70) < radius
        image[obj] = rng.normal([30, 40, 210], 15, (obj.sum(), 3))
        ys, xs = np.nonzero(obj)
        box = [xs.min() - 3, ys.min() - 3, xs.max() + 4, ys.max() + 4]
        return np.clip(image, 0, 255).astype(np.uint8), obj, box

    return make


@pytest.fixture(scope="session")
def mask_iou():
    """``mask_iou(a, b)``: IoU of two boolean masks (0 when both are empty)."""
    return lambda a, b: np.count_nonzero(a & b) / max(1, np.count_nonzero(a | b))


def _refuses_without_checkpoint_and_proposals(cfg, tmp_path: Path) -> None:
    """A paper preset stops without its ImageNet checkpoint and without its proposal folder, and each message
    names the option to pass (``pretrained=PATH``, ``proposals.files=DIR``)."""
    import torch

    from wsisbench.errors import WsisbenchError
    from wsisbench.pipeline.preflight import require_pretrained
    from wsisbench.proposals.source import proposal_folder

    with pytest.raises(WsisbenchError, match=r"--cfg-options pretrained=PATH"):
        require_pretrained(cfg)
    cfg.pretrained = str(tmp_path / "missing.pth")
    with pytest.raises(WsisbenchError, match="does not exist"):
        require_pretrained(cfg)
    ckpt = tmp_path / "r50.pth"
    torch.save({}, ckpt)
    cfg.pretrained = str(ckpt)
    require_pretrained(cfg)
    with pytest.raises(WsisbenchError, match=r"proposals\.files=DIR"):
        proposal_folder(cfg, "a test")
    cfg.proposals.files = str(tmp_path / "nope")
    with pytest.raises(WsisbenchError, match="is not a folder"):
        proposal_folder(cfg, "a test")
    cfg.proposals.files = str(tmp_path)
    assert proposal_folder(cfg, "a test") == tmp_path


@pytest.fixture
def refuses_without_checkpoint_and_proposals(tmp_path):
    """``check(cfg)``: :func:`_refuses_without_checkpoint_and_proposals` in this test's tmp_path."""
    return lambda cfg: _refuses_without_checkpoint_and_proposals(cfg, tmp_path)

"""Synthetic runs for the comparison tests: semantic per-image statistics, in memory or as result.json + npz."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from wsisbench.comparison.runsets import RunSet, group_run_sets
from wsisbench.evaluation.per_image import PerImageStats, SemanticStats
from wsisbench.reporting.results import RunResult

CLASSES = ("background", "a", "b")


def semantic_stats(tp: np.ndarray, gt: np.ndarray, pred: np.ndarray, names=None) -> PerImageStats:
    """Statistics from dense per-image arrays [I, C] (every class listed for every image)."""
    n, C = tp.shape
    rows = [(np.arange(C), tp[i], gt[i], pred[i]) for i in range(n)]
    names = names or [f"img{i:04d}" for i in range(n)]
    return PerImageStats("semantic", list(names), [SemanticStats.from_rows(rows, C)], {"protocol": "semantic"})


def random_semantic(rng: np.random.Generator, difficulty: np.ndarray, quality: float = 0.7, C: int = 3,
                    noise: float = 0.15) -> PerImageStats:
    """A run: per image and class, ground-truth pixels and a hit rate from the image's difficulty, the run's
    quality and per-run noise; misses spread as false positives of the next class."""
    n = difficulty.size
    gt = rng.integers(50, 200, size=(n, C))
    rate = np.clip(quality - difficulty[:, None] + rng.normal(0, noise, size=(n, C)), 0.02, 1.0)
    tp = rng.binomial(gt, rate)
    miss = gt - tp
    pred = tp + np.roll(miss, 1, axis=1)
    return semantic_stats(tp, gt, pred)


def in_memory_run(method: str, preset: str, seed: int, stats: PerImageStats | None, extra: dict | None = None,
                  benchmark: str = "mechanism", content: str = "data0", evaluation: str = "val") -> RunResult:
    metrics = {f"{evaluation}/{k}": v for k, v in (stats.metrics() if stats is not None else {}).items()}
    metrics.update(extra or {})
    raw = {"data_fingerprint": {"content": content}, "config": {"seed": seed, "method": method}}
    run = RunResult(path=Path(f"/nonexistent/{method}/{preset}/seed{seed}/result.json"), name=f"{preset}#{seed}",
                    method=method, preset=preset, data="embedded", benchmark=benchmark, metrics=metrics,
                    evaluations={evaluation: {"metrics": {}}}, config=raw["config"], raw=raw)
    run._stats = stats  # in_memory_sets hands these to the run set
    return run


def in_memory_sets(runs: list[RunResult], evaluation: str = "val") -> list[RunSet]:
    """Run sets whose per-image statistics are the runs' in-memory ones (no files)."""
    sets = group_run_sets(runs)
    for rs in sets:
        rs._per_image[evaluation] = [r._stats for r in rs.runs]
    return sets


def write_run(root: Path, method: str, preset: str, seed: int, stats: PerImageStats, benchmark: str = "mechanism",
              content: str = "data0", extra_metrics: dict | None = None, evaluation: str = "val") -> Path:
    """A run folder ``root/<method>/<preset>/seed<k>`` with result.json and ``evaluate/per_image_val.npz``."""
    run_dir = root / method / preset / f"seed{seed}"
    ref = f"evaluate/per_image_{evaluation}.npz"
    stats.save(run_dir / ref)
    (run_dir / "evaluate" / "model.pth").write_bytes(b"not exported")
    metrics = stats.metrics()
    result = {
        "schema": "wsisbench.result/1", "method": method, "preset": preset, "config_hash": f"h{seed}",
        "data": "embedded", "benchmark": benchmark,
        "data_fingerprint": {"content": content, "root": "/x", "identity": "i"},
        "evaluations": {evaluation: {"protocol": "semantic", "task": "semantic", "split": "val", "metrics": metrics,
                                     "per_class": {}, "num_images": len(stats.images), "per_image": ref}},
        "metrics": {**{f"{evaluation}/{k}": v for k, v in metrics.items()}, **(extra_metrics or {})},
        "profile": {"device": "cpu"}, "stages": {}, "qualitative": [], "environment": {},
        "config": {"method": method, "preset": preset, "seed": seed, "model": {"p": 0.9},
                   "work_dir": str(run_dir)},
    }
    (run_dir / "result.json").write_text(json.dumps(result))
    return run_dir

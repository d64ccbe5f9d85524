"""Run sets: the runs of one configuration that differ only in ``cfg.seed``.

A run set is keyed by method, preset, benchmark, the content hash of its data (``data_fingerprint.content``)
and the hash of its config with ``seed`` (and where/how it ran: work dir, launcher, device, stages, data
root) left out. Its runs are ordered by seed; the same seed twice is kept once when the metrics agree and
is an error otherwise.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

from wsisbench.errors import WsisbenchError
from wsisbench.reporting.results import RunResult, load_run
from wsisbench.utils.hashing import stable_hash

#: config keys a run set ignores: the seed, and where/how a run executed (as the runner's config hash does)
IGNORED_CONFIG_KEYS = ("seed", "work_dir", "launcher", "device", "stages")
RESULT_NAME = "result.json"


def find_result_files(paths: Iterable[str | Path]) -> list[Path]:
    """result.json files named by ``paths``: files as given, folders searched recursively (sorted; stage
    folders and ``*.partial`` folders are not entered). A path that holds none is an error."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_file():
            found = [p]
        elif p.is_dir():
            found = sorted(f for f in p.rglob(RESULT_NAME)
                           if f.is_file() and not any(part.endswith(".partial") for part in f.parts))
        else:
            raise WsisbenchError(f"{p}: no such file or folder")
        if not found:
            raise WsisbenchError(f"{p}: no {RESULT_NAME} in it (give result.json files, run work dirs, or folders "
                                 f"that hold them)")
        out += [f for f in found if f.resolve() not in {o.resolve() for o in out}]
    return out


def run_seed(run: RunResult) -> int:
    """``cfg.seed`` of a run (0 when the config does not say)."""
    seed = (run.config or {}).get("seed", 0)
    try:
        return int(seed)
    except (TypeError, ValueError):
        raise WsisbenchError(f"{run.path}: config seed {seed!r} is not an integer") from None


def config_key(run: RunResult) -> str:
    """Hash of the run's config without the seed and the execution keys (and the benchmark's data root)."""
    cfg = dict(run.config or {})
    for key in IGNORED_CONFIG_KEYS:
        cfg.pop(key, None)
    if isinstance(cfg.get("benchmark"), dict):
        bench = dict(cfg["benchmark"])
        bench.pop("data_root", None)
        cfg["benchmark"] = bench
    return stable_hash(cfg)


def data_content(run: RunResult) -> str:
    return str((run.raw.get("data_fingerprint") or {}).get("content", ""))


@dataclass
class RunSet:
    """The runs of one configuration over seeds (see the module docstring)."""

    method: str
    preset: str
    benchmark: str
    data_content: str
    config_key: str
    runs: list[RunResult] = field(default_factory=list)
    _per_image: dict = field(default_factory=dict, repr=False)

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return (self.method, self.preset, self.benchmark, self.data_content, self.config_key)

    @property
    def label(self) -> str:
        return f"{self.method}/{self.preset}"

    @property
    def seeds(self) -> list[int]:
        return [run_seed(r) for r in self.runs]

    @property
    def data(self) -> str:
        kinds = sorted({r.data for r in self.runs})
        return kinds[0] if len(kinds) == 1 else "/".join(kinds)

    def has_metric(self, metric: str) -> bool:
        return all(metric in r.metrics for r in self.runs)

    def values(self, metric: str) -> np.ndarray:
        """float64 [runs]: ``metric`` of each run (by seed); an error names the runs that lack it."""
        missing = [str(r.path) for r in self.runs if metric not in r.metrics]
        if missing:
            raise WsisbenchError(f"metric {metric!r} is missing in {len(missing)} run(s) of {self.label}: "
                                 f"{', '.join(missing[:3])}")
        return np.array([r.metrics[metric] for r in self.runs], dtype=np.float64)

    def mean_std(self, metric: str) -> tuple[float, float, int]:
        """Mean, sample standard deviation (ddof 1; NaN with one run) and number of runs."""
        v = self.values(metric)
        std = float(np.std(v, ddof=1)) if v.size > 1 else math.nan
        return float(np.mean(v)), std, int(v.size)

    def per_image(self, evaluation: str) -> list:
        """Each run's :class:`~wsisbench.evaluation.per_image.PerImageStats` of ``evaluation`` (None where
        the run has none), loaded once."""
        if evaluation not in self._per_image:
            from wsisbench.evaluation.per_image import load_per_image, per_image_path

            stats = []
            for r in self.runs:
                path = per_image_path(r.directory, r.evaluations.get(evaluation) or {})
                stats.append(load_per_image(path) if path is not None and path.is_file() else None)
            self._per_image[evaluation] = stats
        return self._per_image[evaluation]


def group_run_sets(runs: Iterable[RunResult]) -> list[RunSet]:
    """Group runs into run sets (first-seen order); runs inside a set ordered by seed."""
    sets: dict[tuple, RunSet] = {}
    for r in runs:
        key = (r.method, r.preset, r.benchmark, data_content(r), config_key(r))
        rs = sets.setdefault(key, RunSet(*key))
        seed = run_seed(r)
        twin = next((o for o in rs.runs if run_seed(o) == seed), None)
        if twin is not None:
            if twin.metrics != r.metrics:
                raise WsisbenchError(f"{twin.path} and {r.path} are two runs of {rs.label} with seed {seed} whose "
                                     f"metrics differ; keep one of them")
            continue
        rs.runs.append(r)
    for rs in sets.values():
        rs.runs.sort(key=run_seed)
    return list(sets.values())


def load_run_sets(paths: Iterable[str | Path]) -> list[RunSet]:
    """Run sets of the result.json files found under ``paths`` (see :func:`find_result_files`)."""
    return group_run_sets(load_run(p) for p in find_result_files(paths))


def single_run_set(paths: Iterable[str | Path], what: str = "runs") -> RunSet:
    """The one run set of ``paths``; an error lists them when the runs form several."""
    sets = load_run_sets(paths)
    if len(sets) != 1:
        listed = "; ".join(f"{s.label} on {s.benchmark} (config {s.config_key[:8]}, data {s.data_content[:8]}, "
                           f"seeds {s.seeds})" for s in sets)
        raise WsisbenchError(f"the {what} form {len(sets)} run sets, expected one (runs of one config that differ "
                             f"only in seed): {listed}")
    return sets[0]

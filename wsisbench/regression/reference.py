"""Stored reference results (``leaderboards/references/<method>_<preset>.json``) for regression checks.

Format (``wsisbench.reference/2``)::

    {
      "schema": "wsisbench.reference/2",
      "method": "cam_baseline", "preset": "embedded", "data": "embedded", "benchmark": "embedded",
      "config_hash": "a535dde75db4f794",          # the run's config identity: a check matches it
      "data_fingerprint": {"content": "...", "root": "..."},   # the run's data identity: a check matches content
      "config": {...},                            # the run's full config, to name what differs
      "metrics": {
        "val/mIoU":         {"value": 0.412, "tolerance": 0.02,  "direction": "higher"},
        "B/APs":            {"value": null,  "tolerance": 0.02,  "direction": "higher"},   # undefined (NaN)
        "time/sec_per_img": {"value": 0.011, "tolerance": "50%", "direction": "lower"}
      },
      "provenance": {"result": "work_dirs/.../result.json", "config_hash": "...", "git_commit": "...",
                     "created": "2025-01-01T00:00:00+00:00", "wsisbench": "0.1.0", "device": "cpu",
                     "wall_time_s": 288.0,
                     "packages": {"torch": "2.13.0", ...}}
    }

``value`` is in result.json units (fractions, seconds, MiB), ``null`` where the reference run's metric was
undefined (NaN); ``tolerance`` is absolute in those units or a percentage of ``value``; ``direction`` says which
way is a regression (``lower`` = lower is better).
"""
from __future__ import annotations

import datetime as _dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from wsisbench import __version__
from wsisbench.errors import WsisbenchError
from wsisbench.regression.tolerance import (
    DEFAULT_TOLERANCES,
    Tolerance,
    lower_is_better,
    metric_kind,
    parse_tolerance,
    pick,
)
from wsisbench.utils.atomic import atomic_write_json

REFERENCE_SCHEMA = "wsisbench.reference/2"


@dataclass
class ReferenceMetric:
    value: float  # NaN: the reference run's metric was undefined
    tolerance: Tolerance
    lower_is_better: bool


@dataclass
class Reference:
    method: str
    preset: str
    metrics: dict[str, ReferenceMetric]
    data: str = "unknown"
    benchmark: str = ""
    provenance: dict = field(default_factory=dict)
    path: str = ""  # where it was read from (for messages)
    config_hash: str = ""
    data_fingerprint: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)


def reference_file_name(method: str, preset: str) -> str:
    return f"{method}_{preset}.json"


def load_reference(path: str | Path) -> Reference:
    """Read and validate a reference file; errors name the file and the metric."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise WsisbenchError(f"{path}: cannot read reference ({e.strerror})") from e
    except ValueError as e:
        raise WsisbenchError(f"{path}: not valid JSON ({e})") from e
    if not isinstance(raw, dict) or raw.get("schema") != REFERENCE_SCHEMA:
        raise WsisbenchError(f"{path}: schema must be {REFERENCE_SCHEMA!r}")
    for k in ("method", "preset"):
        if not isinstance(raw.get(k), str) or not raw[k]:
            raise WsisbenchError(f"{path}: {k!r} is required")
    metrics_raw = raw.get("metrics")
    if not isinstance(metrics_raw, dict) or not metrics_raw:
        raise WsisbenchError(f"{path}: 'metrics' must be a non-empty object")
    metrics = {}
    for key, m in metrics_raw.items():
        where = f"{path}: metric {key!r}"
        if not isinstance(m, dict):
            raise WsisbenchError(f"{where}: expected {{value, tolerance, direction}}")
        v = m.get("value")
        if v is None:
            v = math.nan  # undefined in the reference run: reported by the check, never dropped
        elif not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
            raise WsisbenchError(f"{where}: value {v!r} is not a finite number (write null for an undefined one)")
        direction = m.get("direction", "lower" if lower_is_better(key) else "higher")
        if direction not in ("higher", "lower"):
            raise WsisbenchError(f"{where}: direction must be 'higher' or 'lower', not {direction!r}")
        tol = m.get("tolerance", DEFAULT_TOLERANCES[metric_kind(key)])
        metrics[key] = ReferenceMetric(float(v), parse_tolerance(tol, where), direction == "lower")
    for k in ("config_hash", "data_fingerprint"):
        if not raw.get(k):
            raise WsisbenchError(f"{path}: {k!r} is required (re-create the reference with --write-reference)")
    return Reference(raw["method"], raw["preset"], metrics, str(raw.get("data", "unknown")),
                     str(raw.get("benchmark", "")), raw.get("provenance") or {}, str(path), str(raw["config_hash"]),
                     dict(raw["data_fingerprint"]), raw.get("config") or {})


def reference_from_run(run, overrides: dict[str, Tolerance] | None = None) -> dict:
    """A reference document (dict) from a loaded run: every metric with its default tolerance (an undefined
    one as ``null``)."""
    metrics = {}
    for key, v in sorted(run.metrics.items()):
        if v is None or not math.isfinite(v):
            v = None
        tol = pick(key, overrides or {}) or parse_tolerance(DEFAULT_TOLERANCES[metric_kind(key)])
        metrics[key] = {"value": v, "tolerance": float(tol.amount) if not tol.relative else str(tol),
                        "direction": "lower" if lower_is_better(key) else "higher"}
    if not any(m["value"] is not None for m in metrics.values()):
        raise WsisbenchError(f"{run.path}: no finite metrics to store in a reference")
    if not run.raw.get("config_hash") or not run.raw.get("data_fingerprint"):
        raise WsisbenchError(f"{run.path}: the run records no config hash or data fingerprint (a run of an older "
                             f"wsisbench?); run it again")
    env = run.environment or {}
    fingerprint = run.raw["data_fingerprint"]
    return {
        "schema": REFERENCE_SCHEMA, "method": run.method, "preset": run.preset, "data": run.data,
        "benchmark": run.benchmark, "config_hash": run.raw["config_hash"],
        "data_fingerprint": {k: fingerprint.get(k) for k in ("content", "root", "generator") if k in fingerprint},
        "config": run.config, "metrics": metrics,
        "provenance": {"result": str(run.path), "config_hash": run.raw.get("config_hash", ""),
                       "git_commit": env.get("git_commit", ""), "packages": env.get("packages", {}),
                       "device": (run.profile or {}).get("device", ""),
                       "wall_time_s": (run.profile or {}).get("total_wall_time_s"),
                       "created": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
                       "wsisbench": __version__},
    }


def write_reference(run, path: str | Path, overrides: dict[str, Tolerance] | None = None,
                    force: bool = False) -> Path:
    """Store ``run`` as a reference at ``path`` (a file, or a folder to put ``<method>_<preset>.json`` in)."""
    as_dir = str(path).endswith(("/", "\\"))  # Path() would drop the trailing slash
    path = Path(path)
    if as_dir or path.is_dir():
        path = path / reference_file_name(run.method, run.preset)
    if path.exists() and not force:
        raise WsisbenchError(f"{path}: a reference already exists; pass --force to replace it")
    return atomic_write_json(path, reference_from_run(run, overrides))

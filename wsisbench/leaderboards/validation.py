"""Checks on flattened leaderboard entries: required fields, known names, numbers, duplicates.

Each check returns messages (it does not raise) so that the loader can report every problem of a
file at once; each message names the table, row and column of the entry at fault.
"""
from __future__ import annotations

import math
from collections import defaultdict

from wsisbench.leaderboards.schema import REQUIRED_FIELDS, Entry
from wsisbench.leaderboards.vocabulary import BENCHMARKS, CLASS_SUBSETS, DIRECTIONS, METRICS, PROTOCOLS, UNITS


def is_number(x) -> bool:
    """A real, finite number (``True``/``False`` are not numbers here)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _known(kind: str, value, valid) -> str | None:
    if value not in valid:
        return f"unknown {kind} {value!r} (known: {', '.join(sorted(map(str, valid)))})"
    return None


def check_entry(e: Entry) -> list[str]:
    """Problems of one entry, each prefixed with its location."""
    problems = []
    for name in REQUIRED_FIELDS:
        v = getattr(e, name)
        if not isinstance(v, str) or not v.strip():
            problems.append(f"missing or empty field {name!r}")
    if not is_number(e.value):
        problems.append(f"value {e.value!r} is not a finite number")
    for kind, value, valid in (("metric", e.metric, METRICS), ("unit", e.unit, UNITS),
                               ("benchmark", e.benchmark, BENCHMARKS), ("protocol", e.protocol, PROTOCOLS),
                               ("classes", e.classes, CLASS_SUBSETS)):
        if isinstance(value, str) and value:
            msg = _known(kind, value, valid)
            if msg:
                problems.append(msg)
    if e.direction is not None:
        msg = _known("direction", e.direction, DIRECTIONS)
        if msg:
            problems.append(msg)
    if e.metric in METRICS and e.unit in UNITS and e.unit not in METRICS[e.metric].units:
        problems.append(f"unit {e.unit!r} does not fit metric {e.metric!r} "
                        f"(allowed: {', '.join(METRICS[e.metric].units)})")
    if e.unit == "percent" and is_number(e.value) and not 0 <= e.value <= 100 and e.metric != "memory_increase":
        problems.append(f"value {e.value} is outside [0, 100] for a percent")
    if not isinstance(e.protocol_presumed, bool):
        problems.append(f"protocol_presumed must be true or false, not {e.protocol_presumed!r}")
    if not isinstance(e.conditions, dict):
        problems.append(f"conditions must be a mapping, not {type(e.conditions).__name__}")
    else:
        for k, v in e.conditions.items():
            if not isinstance(v, (str, int, float, bool)):
                problems.append(f"condition {k!r} must be a scalar, not {type(v).__name__}")
    if e.range is not None:
        lo_hi = list(e.range) if isinstance(e.range, (list, tuple)) else None
        if not lo_hi or len(lo_hi) != 2 or not all(is_number(x) for x in lo_hi):
            problems.append(f"range must be [low, high] numbers, not {e.range!r}")
        elif is_number(e.value) and not lo_hi[0] <= e.value <= lo_hi[1]:
            problems.append(f"value {e.value} is outside its range {lo_hi}")
    return [f"{e.where()}: {p}" for p in problems]


def _semantic_key(e: Entry) -> tuple:
    return (e.table_key, e.method, e.variant, e.backbone, e.training, e.benchmark, e.split, e.classes,
            e.direction, tuple(sorted((k, str(v)) for k, v in e.conditions.items())), e.metric)


def check_duplicates(entries: list[Entry]) -> list[str]:
    """Two entries of one table that describe the same number (same method, variant, setting, metric)."""
    seen: dict[tuple, list[Entry]] = defaultdict(list)
    for e in entries:
        seen[_semantic_key(e)].append(e)
    problems = []
    for group in seen.values():
        if len(group) > 1:
            where = "; ".join(f"row {e.row!r}, column {e.column!r}" for e in group)
            problems.append(f"{group[0].table_key}: duplicate entries for method {group[0].method!r}, "
                            f"variant {group[0].variant!r}, metric {group[0].metric!r} ({where}); "
                            "add a variant or condition that tells them apart")
    return problems

"""Compare runs with a stored reference or with reported (paper) numbers; list what regressed.

``check_against_reference`` and ``check_against_leaderboard`` return :class:`CheckRow` s; a row fails
when a higher-is-better metric is below reference - tolerance, or a lower-is-better one (time, memory)
is above reference + tolerance. ``format_rows`` prints them as a table, ``failure_messages`` as sentences
that name the metric, the run, the reference, the measured value and the tolerance.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from wsisbench.errors import WsisbenchError
from wsisbench.leaderboards.mapping import load_mappings, pairs_for_run
from wsisbench.leaderboards.units import from_unit
from wsisbench.regression.reference import Reference
from wsisbench.regression.tolerance import (
    LEADERBOARD_TOLERANCES,
    Tolerance,
    lower_is_better,
    metric_kind,
    parse_tolerance,
    pick,
)

OK, FAIL, MISSING, NOT_MEASURED, SKIPPED = "ok", "FAIL", "MISSING", "not measured", "skipped"
#: the reference run's metric was undefined (NaN) and so is the checked run's: reported, not a failure
BOTH_UNDEFINED = "ok (undefined)"


@dataclass
class CheckRow:
    run: str
    metric: str
    reference: float
    measured: float | None
    tolerance: Tolerance
    lower_is_better: bool
    status: str
    source: str  # reference file, or leaderboard cell

    @property
    def limit(self) -> float:
        t = self.tolerance.absolute(self.reference)
        return self.reference + t if self.lower_is_better else self.reference - t

    @property
    def failed(self) -> bool:
        return self.status in (FAIL, MISSING)


def _nan(x) -> bool:
    return isinstance(x, float) and math.isnan(x)


def _status(measured, reference: float, tol: Tolerance, lower: bool, missing: str = MISSING) -> str:
    """A missing metric is ``missing``; a measured NaN fails, unless the reference is NaN too (both undefined);
    a finite measurement against an undefined reference fails (the metric changed meaning)."""
    if measured is None:
        return missing
    if _nan(reference):
        return BOTH_UNDEFINED if _nan(measured) else FAIL
    if _nan(measured):
        return FAIL
    t = tol.absolute(reference)
    bad = measured > reference + t if lower else measured < reference - t
    return FAIL if bad else OK


def config_differences(old: dict, new: dict, prefix: str = "", limit: int = 8) -> list[str]:
    """Dotted keys whose values differ between two config dicts (at most ``limit``)."""
    out: list[str] = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key, "<absent>"), new.get(key, "<absent>")
        where = f"{prefix}{key}"
        if isinstance(a, dict) and isinstance(b, dict):
            out += config_differences(a, b, f"{where}.", limit - len(out))
        elif a != b:
            out.append(f"{where}: {str(a)[:60]} -> {str(b)[:60]}")
        if len(out) >= limit:
            break
    return out[:limit]


def require_same_run_identity(run, ref: Reference) -> None:
    """Refuse a reference of another method, preset, config or data: the message names the difference."""
    where = f"reference {ref.path or '?'} does not fit run {run.path}"
    if (ref.method, ref.preset) != (run.method, run.preset):
        raise WsisbenchError(f"{where}: it is for {ref.method}/{ref.preset}, the run is {run.method}/{run.preset}")
    run_hash = run.raw.get("config_hash", "")
    if ref.config_hash != run_hash:
        diff = config_differences(ref.config, run.config) if ref.config and run.config else []
        raise WsisbenchError(f"{where}: another config (reference config hash {ref.config_hash}, run {run_hash})"
                             + (f"; differing keys: {'; '.join(diff)}" if diff else ""))
    run_data = (run.raw.get("data_fingerprint") or {}).get("content")
    if ref.data_fingerprint.get("content") != run_data:
        raise WsisbenchError(f"{where}: other data (reference data {ref.data_fingerprint.get('content')} at "
                             f"{ref.data_fingerprint.get('root')}, run data {run_data} at "
                             f"{(run.raw.get('data_fingerprint') or {}).get('root')})")


def check_against_reference(run, ref: Reference, overrides: dict[str, Tolerance] | None = None) -> list[CheckRow]:
    """Every metric of ``ref`` for ``run``; a metric the run no longer reports is MISSING (a failure).

    The run must be of the reference's method, preset, config and data (:func:`require_same_run_identity`)."""
    require_same_run_identity(run, ref)
    rows = []
    for key, m in ref.metrics.items():
        tol = pick(key, overrides or {}) or m.tolerance
        measured = run.metrics.get(key)
        rows.append(CheckRow(run.name, key, m.value, measured, tol, m.lower_is_better,
                             _status(measured, m.value, tol, m.lower_is_better), ref.path or "reference"))
    return rows


def check_against_leaderboard(run, boards: dict, leaderboard: str, overrides: dict[str, Tolerance] | None = None,
                              allow_embedded: bool = False) -> list[CheckRow]:
    """The run against the reported numbers its mapping selects in ``leaderboard``.

    Reported values are converted to result.json units. Runs on embedded (or unknown) data are
    SKIPPED unless ``allow_embedded``; cells the run does not measure (e.g. a test split) are
    'not measured', not failures.
    """
    rows = []
    for p in pairs_for_run(run, boards, load_mappings(), only=leaderboard):
        e = p.entry
        reference = from_unit(e.value, e.unit, p.key)
        lower = lower_is_better(p.key)
        tol = pick(p.key, overrides or {}) or parse_tolerance(LEADERBOARD_TOLERANCES[metric_kind(p.key)])
        measured = run.metrics.get(p.key)
        status = SKIPPED if (run.data != "paper" and not allow_embedded) else _status(
            measured, reference, tol, lower, missing=NOT_MEASURED)
        rows.append(CheckRow(run.name, p.key, reference, measured, tol, lower, status,
                             f"{e.leaderboard}: {e.table_key}, {e.row} / {e.column}"))
    return rows


def _num(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if abs(x) >= 1000:
        return f"{x:.1f}"
    return f"{x:.4f}".rstrip("0").rstrip(".") if x != 0 else "0"


def format_rows(rows: list[CheckRow], only_failed: bool = True) -> str:
    """A plain-text table (pandas) of the rows; by default only the failing ones."""
    import pandas as pd

    shown = [r for r in rows if r.failed] if only_failed else rows
    if not shown:
        return ""
    frame = pd.DataFrame([{
        "status": r.status, "run": r.run, "metric": r.metric, "better": "lower" if r.lower_is_better else "higher",
        "reference": _num(r.reference), "tolerance": str(r.tolerance), "limit": _num(r.limit),
        "measured": _num(r.measured), "source": r.source} for r in shown])
    return frame.to_string(index=False)


def failure_messages(rows: list[CheckRow]) -> list[str]:
    """One sentence per failing row, naming metric, run, reference, measured value and tolerance."""
    out = []
    for r in rows:
        if r.status == MISSING:
            out.append(f"{r.metric}: run {r.run} does not report it (reference {_num(r.reference)}, "
                       f"tolerance {r.tolerance}, from {r.source})")
        elif r.status == FAIL and _nan(r.measured):
            out.append(f"{r.metric}: run {r.run} measured NaN (undefined) where the reference is {_num(r.reference)} "
                       f"(from {r.source})")
        elif r.status == FAIL and _nan(r.reference):
            out.append(f"{r.metric}: run {r.run} measured {_num(r.measured)} where the reference is undefined (NaN) "
                       f"(from {r.source})")
        elif r.status == FAIL:
            op, sign = (">", "+") if r.lower_is_better else ("<", "-")
            out.append(f"{r.metric}: run {r.run} measured {_num(r.measured)} {op} {_num(r.limit)} = reference "
                       f"{_num(r.reference)} {sign} tolerance {r.tolerance} (from {r.source})")
    return out

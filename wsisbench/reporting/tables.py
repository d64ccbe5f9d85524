"""pandas tables of a report: runs, metrics, ours-vs-reported comparison, per-class values, profile.

Every function returns display-ready strings (numbers formatted, data marks attached) so that the
Markdown, LaTeX and HTML renderers print the same thing.
"""
from __future__ import annotations

import pandas as pd

from wsisbench.leaderboards.mapping import Pair
from wsisbench.leaderboards.units import result_unit
from wsisbench.reporting.formatting import data_mark, fmt, fmt_delta, fmt_metric, is_missing, pretty
from wsisbench.reporting.results import RunResult


def run_label(run: RunResult) -> str:
    """A run's name with its data marker (``ficklenet/embedded †``)."""
    mark = data_mark(run.data)
    return f"{run.name} {mark}" if mark else run.name


def runs_table(runs: list[RunResult]) -> pd.DataFrame:
    """One row per run: what ran, on which data, with which protocol, from which file."""
    rows = []
    for r in runs:
        rows.append({"run": run_label(r), "data": r.data, "method": r.method, "preset": r.preset,
                     "benchmark": r.benchmark, "protocol": r.protocol(),
                     "config hash": str(r.raw.get("config_hash", ""))[:12], "result": str(r.path)})
    return pd.DataFrame(rows)


def _metric_sort_key(key: str):
    kind = {"fraction": 0, "s": 1, "MiB": 2, "GB": 2}[result_unit(key)]
    return kind, key


def metrics_table(runs: list[RunResult]) -> pd.DataFrame:
    """Metric rows x run columns; quality metrics in percent, time in s, memory in MiB."""
    keys = sorted({k for r in runs for k in r.metrics}, key=_metric_sort_key)
    rows = []
    for k in keys:
        unit = result_unit(k)
        row = {"metric": k, "unit": "percent" if unit == "fraction" else unit}
        for r in runs:
            row[run_label(r)] = fmt_metric(k, r.metrics.get(k))
        rows.append(row)
    return pd.DataFrame(rows, columns=["metric", "unit", *[run_label(r) for r in runs]])


def _paper_protocol(e) -> str:
    return f"{e.protocol} (presumed)" if e.protocol_presumed else e.protocol


def comparison_table(pairs: list[tuple[RunResult, Pair]]) -> tuple[pd.DataFrame, list[str]]:
    """Ours vs reported, one row per (run, leaderboard cell), and the numbered notes it refers to."""
    notes: list[str] = []
    rows = []
    for run, p in pairs:
        e = p.entry
        if e.note and e.note not in notes:
            notes.append(e.note)
        note_ref = f"[{notes.index(e.note) + 1}]" if e.note else ""
        evaluation = p.key.split("/", 1)[0] if "/" in p.key else None
        ours_protocol = run.protocol(evaluation) if evaluation in run.evaluations else (
            "timing" if result_unit(p.key) != "fraction" else "?")
        rows.append({
            "run": run_label(run), "data": run.data,
            "source": f"{e.leaderboard}: {e.table_key}", "row": pretty(e.row), "column": pretty(e.column),
            "metric": e.metric if e.classes == "all" else f"{e.metric} on {e.classes}",
            "unit": e.unit,
            "benchmark: paper / ours": f"{e.benchmark} {e.split} / {run.benchmark}",
            "protocol: paper / ours": f"{_paper_protocol(e)} / {ours_protocol}",
            "reported": fmt(e.value, e.unit, places=e.decimals),
            "ours": fmt(p.ours, e.unit, data_mark(run.data) if not is_missing(p.ours) else ""),
            "delta": fmt_delta(p.ours, e.value, e.unit),
            "result key": p.key, "notes": note_ref,
        })
    return pd.DataFrame(rows), [f"[{i + 1}] {t}" for i, t in enumerate(notes)]


def per_class_table(runs: list[RunResult], evaluation: str, metric: str) -> pd.DataFrame | None:
    """Classes x runs for ``evaluations[evaluation].per_class[metric]`` (percent); None if no run has it."""
    cols = {}
    for r in runs:
        values = ((r.evaluations.get(evaluation) or {}).get("per_class") or {}).get(metric)
        if isinstance(values, dict) and values:
            cols[run_label(r)] = values
    if not cols:
        return None
    classes = list(dict.fromkeys(c for v in cols.values() for c in v))
    rows = [{"class": c, **{name: fmt(None if is_missing(v.get(c)) else 100.0 * v[c], "percent")
                            for name, v in cols.items()}} for c in classes]
    return pd.DataFrame(rows, columns=["class", *cols])


def profile_table(runs: list[RunResult]) -> pd.DataFrame | None:
    """Run time and memory per run (from ``profile``); None when no run has a profile."""
    rows = []
    for r in runs:
        p = r.profile or {}
        if not p:
            continue
        stage_time = sum(float(s.get("wall_time_s") or 0) for s in r.stages.values() if isinstance(s, dict))
        rows.append({"run": run_label(r), "device": str(p.get("device", "?")),
                     "s/iter": fmt(p.get("sec_per_iter"), "s"), "s/img": fmt(p.get("sec_per_img"), "s"),
                     "peak RSS (MiB)": fmt(p.get("peak_rss_mib"), "MiB"),
                     "GPU peak (MiB)": fmt(p.get("cuda_max_allocated_mib"), "MiB"),
                     "stages total (s)": fmt(stage_time if r.stages else None, "s")})
    return pd.DataFrame(rows) if rows else None


def stages_table(runs: list[RunResult]) -> pd.DataFrame | None:
    """Stage x run wall time (s) and peak memory (MiB); skipped stages are marked."""
    stages = list(dict.fromkeys(s for r in runs for s in r.stages))
    if not stages:
        return None
    rows = []
    for s in stages:
        row = {"stage": s}
        for r in runs:
            st = r.stages.get(s) or {}
            skipped = " (skipped)" if st.get("skipped") else ""
            row[f"{run_label(r)}: s"] = fmt(st.get("wall_time_s"), "s") + skipped if st else "–"
            row[f"{run_label(r)}: MiB"] = fmt(st.get("peak_rss_mib"), "MiB") if st else "–"
        rows.append(row)
    return pd.DataFrame(rows)

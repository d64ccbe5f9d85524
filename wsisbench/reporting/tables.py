"""pandas tables of a report: runs, metrics, ours-vs-reported comparison, per-class values, profile.

Every function returns display-ready strings (numbers formatted, data marks attached) so that the
Markdown, LaTeX and HTML renderers print the same thing. Runs of one configuration that differ only in
``cfg.seed`` (a run set, :mod:`wsisbench.comparison.runsets`) share one column or row, shown as
``mean ± std`` over the seeds (sample std).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from wsisbench.leaderboards.mapping import Pair
from wsisbench.leaderboards.units import result_unit
from wsisbench.reporting.formatting import data_mark, fmt, fmt_delta, fmt_metric, is_missing, pretty
from wsisbench.reporting.results import RunResult


def run_label(run: RunResult) -> str:
    """A run's name with its data marker (``fickle_net/embedded †``)."""
    mark = data_mark(run.data)
    return f"{run.name} {mark}" if mark else run.name


def run_groups(runs: list[RunResult]) -> list[list[RunResult]]:
    """Runs grouped into run sets (first-seen order; a repeated seed starts a group of its own)."""
    from wsisbench.comparison.runsets import config_key, data_content, run_seed

    groups: list[list[RunResult]] = []
    keys: list[tuple] = []
    for r in runs:
        key = (r.method, r.preset, r.benchmark, r.data, data_content(r), config_key(r))
        for k, g in zip(keys, groups):
            if k == key and run_seed(r) not in {run_seed(o) for o in g}:
                g.append(r)
                break
        else:
            keys.append(key)
            groups.append([r])
    return groups


def group_label(group: list[RunResult]) -> str:
    """A run's label, or ``method/preset (3 seeds) †`` for a run set."""
    if len(group) == 1:
        return run_label(group[0])
    r = group[0]
    mark = data_mark(r.data)
    return f"{r.method}/{r.preset} ({len(group)} seeds)" + (f" {mark}" if mark else "")


def mean_std(values: list) -> tuple[float | None, float | None, int]:
    """Mean and sample std (ddof 1) of the defined values; (None, None, 0) when none is."""
    v = np.array([x for x in values if not is_missing(x)], dtype=float)
    if v.size == 0:
        return None, None, 0
    return float(v.mean()), (float(v.std(ddof=1)) if v.size > 1 else None), int(v.size)


def fmt_mean_std(values: list, unit: str = "percent", scale: float = 1.0, mark: str = "",
                 places: int | None = None) -> str:
    """``mean ± std`` of ``values`` (times ``scale``) in ``unit``; one value alone as :func:`fmt` prints it."""
    mean, std, n = mean_std(values)
    if mean is None:
        return "–"
    if n == 1:
        return fmt(scale * mean, unit, mark, places)
    return f"{fmt(scale * mean, unit, '', places)} ± {fmt(scale * std, unit, '', places)}{mark}"


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
    """Metric rows x run columns; quality metrics in percent, time in s, memory in MiB. A run set (several
    seeds of one configuration) is one column of ``mean ± std``."""
    keys = sorted({k for r in runs for k in r.metrics}, key=_metric_sort_key)
    groups = run_groups(runs)
    labels = [group_label(g) for g in groups]
    rows = []
    for k in keys:
        unit = result_unit(k)
        row = {"metric": k, "unit": "percent" if unit == "fraction" else unit}
        for label, g in zip(labels, groups):
            if len(g) == 1:
                row[label] = fmt_metric(k, g[0].metrics.get(k))
            else:
                row[label] = fmt_mean_std([r.metrics.get(k) for r in g], "percent" if unit == "fraction" else unit,
                                          100.0 if unit == "fraction" else 1.0)
        rows.append(row)
    return pd.DataFrame(rows, columns=["metric", "unit", *labels])


def _paper_protocol(e) -> str:
    return f"{e.protocol} (presumed)" if e.protocol_presumed else e.protocol


def comparison_table(pairs: list[tuple[RunResult, Pair]]) -> tuple[pd.DataFrame, list[str]]:
    """Ours vs reported, one row per (run, leaderboard cell), and the numbered notes it refers to. The runs of
    a run set share a row per cell: ``mean ± std`` over their seeds, delta from the mean."""
    notes: list[str] = []
    rows = []
    runs = list({id(run): run for run, _ in pairs}.values())
    group_of = {id(r): i for i, g in enumerate(run_groups(runs)) for r in g}
    merged: dict[tuple, list[tuple[RunResult, Pair]]] = {}
    for run, p in pairs:
        e = p.entry
        cell = (group_of[id(run)], e.leaderboard, e.table_key, e.row_index, e.column_index, e.metric, e.classes, p.key)
        merged.setdefault(cell, []).append((run, p))
    for members in merged.values():
        run, p = members[0]
        e = p.entry
        if e.note and e.note not in notes:
            notes.append(e.note)
        note_ref = f"[{notes.index(e.note) + 1}]" if e.note else ""
        evaluation = p.key.split("/", 1)[0] if "/" in p.key else None
        ours_protocol = run.protocol(evaluation) if evaluation in run.evaluations else (
            "timing" if result_unit(p.key) != "fraction" else "?")
        values = [q.ours for _, q in members]
        mark = data_mark(run.data)
        if len(members) == 1:
            label = run_label(run)
            ours = fmt(p.ours, e.unit, mark if not is_missing(p.ours) else "")
            delta = fmt_delta(p.ours, e.value, e.unit)
        else:
            label = group_label([r for r, _ in members])
            mean, _, n = mean_std(values)
            ours = fmt_mean_std(values, e.unit, mark=mark if n else "")
            delta = fmt_delta(mean, e.value, e.unit)
        rows.append({
            "run": label, "data": run.data,
            "source": f"{e.leaderboard}: {e.table_key}", "row": pretty(e.row), "column": pretty(e.column),
            "metric": e.metric if e.classes == "all" else f"{e.metric} on {e.classes}",
            "unit": e.unit,
            "benchmark: paper / ours": f"{e.benchmark} {e.split} / {run.benchmark}",
            "protocol: paper / ours": f"{_paper_protocol(e)} / {ours_protocol}",
            "reported": fmt(e.value, e.unit, places=e.decimals),
            "ours": ours,
            "delta": delta,
            "result key": p.key, "notes": note_ref,
        })
    return pd.DataFrame(rows), [f"[{i + 1}] {t}" for i, t in enumerate(notes)]


def per_class_table(runs: list[RunResult], evaluation: str, metric: str) -> pd.DataFrame | None:
    """Classes x runs for ``evaluations[evaluation].per_class[metric]`` (percent); None if no run has it. A run
    set is one column of ``mean ± std``."""
    cols: dict[str, list[dict]] = {}
    for g in run_groups(runs):
        values = [((r.evaluations.get(evaluation) or {}).get("per_class") or {}).get(metric) for r in g]
        values = [v for v in values if isinstance(v, dict) and v]
        if values:
            cols[group_label(g) if len(values) == len(g) else run_label(g[0])] = values
    if not cols:
        return None
    classes = list(dict.fromkeys(c for vs in cols.values() for v in vs for c in v))

    def cell(vs: list[dict], c: str) -> str:
        if len(vs) == 1:
            return fmt(None if is_missing(vs[0].get(c)) else 100.0 * vs[0][c], "percent")
        return fmt_mean_std([v.get(c) for v in vs], "percent", 100.0)

    rows = [{"class": c, **{name: cell(vs, c) for name, vs in cols.items()}} for c in classes]
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

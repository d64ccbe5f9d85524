"""Assemble a :class:`~wsisbench.reporting.model.Report` from runs and leaderboards.

Sections: runs, metrics, comparison with reported numbers (+ bar plot), the papers' tables regenerated
in their own layout, the papers' claims decided on the runs (when they cover any), per-class tables and
bars, precision-recall curves, run time and memory, qualitative overlays, provenance. Sections without data
are left out; a banner warns whenever a run used embedded (or unknown) data. Several seeds of one
configuration are shown as mean ± std.
"""
from __future__ import annotations

import re

from wsisbench import __version__
from wsisbench.errors import WsisbenchError
from wsisbench.leaderboards.loader import load_all, load_leaderboard
from wsisbench.leaderboards.mapping import load_mappings, pairs_for_run
from wsisbench.reporting import overlays, paper_tables, plots, tables
from wsisbench.reporting.formatting import EMBEDDED_BANNER, EMBEDDED_FOOTNOTE, UNKNOWN_BANNER, UNKNOWN_FOOTNOTE
from wsisbench.reporting.model import FigureBlock, Report, Section, TableBlock, TextBlock
from wsisbench.reporting.results import RunResult

PER_CLASS_METRICS = 2  # per-class metrics shown per evaluation (e.g. IoU and Acc)


def slug(text: str) -> str:
    """A file-safe id: ``"Table 3.5 (a)"`` -> ``"table_3_5_a"``."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:60] or "x"


def _data_footnotes(runs: list[RunResult]) -> list[str]:
    notes = []
    if any(r.data == "embedded" for r in runs):
        notes.append(EMBEDDED_FOOTNOTE)
    if any(r.data == "unknown" for r in runs):
        notes.append(UNKNOWN_FOOTNOTE)
    return notes


def build_report(runs: list[RunResult], leaderboard: str | None = None, title: str | None = None) -> Report:
    """The full report for ``runs``; ``leaderboard`` restricts comparisons to one leaderboard file and
    regenerates all of its tables (otherwise only the tables that some run maps onto)."""
    boards = {leaderboard: load_leaderboard(leaderboard)} if leaderboard else load_all()
    mappings = load_mappings()
    pairs = [(r, p) for r in runs for p in pairs_for_run(r, boards, mappings, only=leaderboard)]
    report = Report(title or f"wsisbench report: {', '.join(r.name for r in runs)}")
    if any(r.data == "embedded" for r in runs):
        report.banners.append(EMBEDDED_BANNER)
    if any(r.data == "unknown" for r in runs):
        report.banners.append(UNKNOWN_BANNER)
    foot = _data_footnotes(runs)

    s = Section("Runs")
    s.blocks.append(TableBlock("runs", "Runs in this report (data: embedded = generated benchmark, paper = real "
                                       "dataset).", tables.runs_table(runs), foot))
    s.blocks.append(TableBlock("metrics", "Metrics from result.json (quality in percent, time in s, memory in MiB).",
                               tables.metrics_table(runs), foot))
    report.sections.append(s)

    s = Section("Comparison with reported numbers")
    if pairs:
        frame, notes = tables.comparison_table(pairs)
        s.blocks.append(TableBlock("comparison", "Ours against the numbers reported in the papers (delta = ours - "
                                                 "reported).", frame, foot + notes))
        png = plots.comparison_bars(pairs)
        if png:
            s.blocks.append(FigureBlock("comparison", "Ours vs reported (percent metrics).", png))
    else:
        s.blocks.append(TextBlock("No run maps onto a leaderboard row (see the method's metafile.yaml or a config's "
                                  "'leaderboard' field)."))
    report.sections.append(s)

    keys = paper_tables.tables_touched(pairs)
    if leaderboard:
        keys += [(leaderboard, t.key) for t in boards[leaderboard].tables if (leaderboard, t.key) not in keys]
    if keys:
        s = Section("Paper tables regenerated")
        for name, key in keys:
            t = boards[name].table(key)
            caption = f"{boards[name].paper}, {t.key}: {t.caption}"
            notes = [f"Source: {t.document}, {t.key}."] + ([t.note] if t.note else [])
            s.blocks.append(TableBlock(f"paper_{name}_{slug(t.key)}", caption, paper_tables.regenerate(t, pairs),
                                       foot + notes))
        report.sections.append(s)

    _claims_section(report, runs, foot)
    _per_class_section(report, runs, foot)
    _pr_section(report, runs)
    _profile_section(report, runs, foot)
    _qualitative_section(report, runs)
    _provenance_section(report, runs)
    return report


def _claims_section(report: Report, runs: list[RunResult], foot: list[str]) -> None:
    """The verdicts on the papers' claims whose presets the runs cover (see docs/claims.md)."""
    from wsisbench.comparison import claims_covered, evaluate_claims, group_run_sets
    from wsisbench.comparison.tables import verdicts_frame
    from wsisbench.leaderboards.metafile import load_claims

    s = Section("Claims")
    try:
        run_sets = group_run_sets(runs)
        covered = claims_covered(load_claims(), run_sets)
        if not covered:
            return
        verdicts = evaluate_claims(covered, run_sets)
    except WsisbenchError as e:
        s.blocks.append(TextBlock(f"The papers' claims could not be decided on these runs: {e}"))
        report.sections.append(s)
        return
    frame, notes = verdicts_frame(verdicts)
    s.blocks.append(TableBlock(
        "claims", "The papers' claims on these runs: left - right in percent points with a 95 % bootstrap interval "
                  "over images and seeds; reproduced / contradicted when the interval excludes 0 in the paper's / the "
                  "other direction, inconclusive when it contains 0, not run without runs of a side; 'no worse' and "
                  "'equivalent' claims are decided against their margin (docs/claims.md).",
        frame, foot + notes))
    report.sections.append(s)


def _per_class_section(report: Report, runs: list[RunResult], foot: list[str]) -> None:
    s = Section("Per-class results")
    evaluations = list(dict.fromkeys(e for r in runs for e in r.evaluations))
    for ev in evaluations:
        metrics = list(dict.fromkeys(m for r in runs
                                     for m in ((r.evaluations.get(ev) or {}).get("per_class") or {})))
        for m in metrics[:PER_CLASS_METRICS]:
            frame = tables.per_class_table(runs, ev, m)
            if frame is None:
                continue
            s.blocks.append(TableBlock(f"per_class_{slug(ev)}_{slug(m)}", f"{ev}: per-class {m} (percent).", frame,
                                       foot))
            png = plots.per_class_bars(runs, ev, m)
            if png:
                s.blocks.append(FigureBlock(f"per_class_{slug(ev)}_{slug(m)}", f"{ev}: per-class {m}.", png))
    if s.blocks:
        report.sections.append(s)


def _pr_section(report: Report, runs: list[RunResult]) -> None:
    s = Section("Precision-recall curves")
    for r in runs:
        for ev in r.evaluations:
            png = plots.pr_curves(r, ev)
            if png:
                s.blocks.append(FigureBlock(f"pr_{slug(r.name)}_{slug(ev)}",
                                            f"{r.name}, {ev}: precision-recall curves.", png))
    if s.blocks:
        report.sections.append(s)


def _profile_section(report: Report, runs: list[RunResult], foot: list[str]) -> None:
    s = Section("Run time and memory")
    frame = tables.profile_table(runs)
    if frame is not None:
        s.blocks.append(TableBlock("profile", "Run time and memory (from result.json 'profile').", frame, foot))
    frame = tables.stages_table(runs)
    if frame is not None:
        s.blocks.append(TableBlock("stages", "Wall time (s) and peak memory (MiB) per pipeline stage.", frame, foot))
    png = plots.runtime_memory_bars(runs)
    if png:
        s.blocks.append(FigureBlock("runtime_memory", "Run time and peak memory per stage.", png))
    if s.blocks:
        report.sections.append(s)


def _qualitative_section(report: Report, runs: list[RunResult]) -> None:
    s = Section("Qualitative results")
    for r in runs:
        png = overlays.qualitative_figure(r)
        if png:
            s.blocks.append(FigureBlock(f"qualitative_{slug(r.name)}",
                                        f"{r.name}: image, ground truth, predicted mask and localization map.", png))
    png = overlays.maps_side_by_side(runs)
    if png:
        s.blocks.append(FigureBlock("maps_side_by_side", "Named localization maps of each run on the same images "
                                    "(for PRM: the class response map of the best-scoring class and the peak "
                                    "response map of its highest peak), side by side.", png))
    if s.blocks:
        report.sections.append(s)


def _provenance_section(report: Report, runs: list[RunResult]) -> None:
    import pandas as pd

    rows = []
    for r in runs:
        env = r.environment or {}
        pk = env.get("packages") or {}
        rows.append({"run": tables.run_label(r), "result": str(r.path),
                     "git commit": str(env.get("git_commit", ""))[:12], "python": str(env.get("python", "")),
                     "packages": ", ".join(f"{k} {v}" for k, v in sorted(pk.items())[:8])})
    s = Section("Provenance", [TableBlock("provenance",
                                          f"Where the numbers come from (report by wsisbench {__version__}).",
                                          pd.DataFrame(rows))])
    report.sections.append(s)

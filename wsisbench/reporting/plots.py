"""Matplotlib figures of a report (Agg canvas, no pyplot state): each returns PNG bytes or None.

- :func:`per_class_bars`: one group of bars per class, one bar per run (percent)
- :func:`pr_curves`: precision-recall curves from ``evaluations.<name>.pr_curves`` (optional field)
- :func:`runtime_memory_bars`: wall time and peak memory per pipeline stage (``stages``/``profile``)
- :func:`comparison_bars`: ours vs reported for percent metrics
"""
from __future__ import annotations

import io

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from wsisbench.leaderboards.mapping import Pair
from wsisbench.reporting.results import RunResult

MAX_CLASSES = 40  # bar groups per per-class figure
MAX_CURVES = 20  # classes per precision-recall figure
DPI = 90


def to_png(fig: Figure) -> bytes:
    """Render a figure on an Agg canvas to PNG bytes."""
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    return buf.getvalue()


def _grouped_bars(ax, labels: list[str], series: dict[str, list[float]]) -> None:
    n = max(len(series), 1)
    width = 0.8 / n
    x = np.arange(len(labels))
    for i, (name, values) in enumerate(series.items()):
        ax.bar(x + (i - (n - 1) / 2) * width, values, width, label=name)
    ax.set_xticks(x)
    ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=8)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)


def per_class_bars(runs: list[RunResult], evaluation: str, metric: str) -> bytes | None:
    """Per-class ``metric`` (e.g. IoU) of ``evaluation`` for every run that has it."""
    series: dict[str, dict[str, float]] = {}
    for r in runs:
        values = ((r.evaluations.get(evaluation) or {}).get("per_class") or {}).get(metric)
        if isinstance(values, dict) and values:
            series[r.name] = {c: (np.nan if v is None else 100.0 * float(v)) for c, v in values.items()}
    if not series:
        return None
    classes = list(dict.fromkeys(c for v in series.values() for c in v))[:MAX_CLASSES]
    fig = Figure(figsize=(min(16, 2 + 0.45 * len(classes) * max(1, len(series)) ** 0.5), 4))
    ax = fig.add_subplot()
    _grouped_bars(ax, classes, {n: [v.get(c, np.nan) for c in classes] for n, v in series.items()})
    ax.set_ylabel(f"{metric} (%)")
    shown = f" (first {MAX_CLASSES} classes)" if len(classes) == MAX_CLASSES else ""
    ax.set_title(f"{evaluation}: per-class {metric}{shown}")
    return to_png(fig)


def _valid_curve(c) -> bool:
    return (isinstance(c, dict) and isinstance(c.get("precision"), list) and isinstance(c.get("recall"), list)
            and len(c["precision"]) == len(c["recall"]) and len(c["recall"]) > 0)


def pr_curves(run: RunResult, evaluation: str) -> bytes | None:
    """Precision-recall curves of one evaluation, one line per class; None when absent or malformed."""
    curves = (run.evaluations.get(evaluation) or {}).get("pr_curves")
    if not isinstance(curves, dict):
        return None
    valid = {c: v for c, v in curves.items() if _valid_curve(v)}
    if not valid:
        return None
    fig = Figure(figsize=(6, 4.5))
    ax = fig.add_subplot()
    for cls, c in list(valid.items())[:MAX_CURVES]:
        label = f"{cls} (AP {100 * c['ap']:.1f})" if isinstance(c.get("ap"), (int, float)) else str(cls)
        ax.plot(c["recall"], c["precision"], label=label, linewidth=1.2, drawstyle="steps-post")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    iou = (run.evaluations.get(evaluation) or {}).get("pr_curves_iou")
    ax.set_title(f"{run.name}, {evaluation}: precision-recall" + (f" at IoU {iou}" if iou is not None else ""))
    ax.legend(fontsize=7, loc="lower left", ncol=2)
    ax.grid(alpha=0.3)
    return to_png(fig)


def runtime_memory_bars(runs: list[RunResult]) -> bytes | None:
    """Stage wall time (stacked per run) and each run's peak memory (the stage that peaked named on the bar);
    falls back to ``profile`` totals for runs without stage records."""
    with_stages = [r for r in runs if r.stages]
    if with_stages:
        stages = list(dict.fromkeys(s for r in with_stages for s in r.stages))
        fig = Figure(figsize=(13, 2.0 + 0.35 * len(with_stages)), layout="constrained")
        ax_t, ax_m = fig.subplots(1, 2, sharey=True)
        y = np.arange(len(with_stages))
        left = np.zeros(len(with_stages))
        colors = matplotlib.colormaps["tab20"]
        for i, s in enumerate(stages):
            t = np.array([float((r.stages.get(s) or {}).get("wall_time_s") or 0) for r in with_stages])
            ax_t.barh(y, t, left=left, label=s, color=colors(i % 20))
            left += t
        ax_t.set_yticks(y)
        ax_t.set_yticklabels([r.name for r in with_stages], fontsize=8)
        ax_t.invert_yaxis()
        ax_t.set_xlabel("wall time (s)")
        ax_t.set_title("run time per stage")
        ax_t.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.06 - 0.6 / len(with_stages)),
                    ncol=3, frameon=False)
        peaks = []
        for r in with_stages:
            per_stage = {s: float((r.stages.get(s) or {}).get("peak_rss_mib") or np.nan) for s in r.stages}
            finite = {s: v for s, v in per_stage.items() if np.isfinite(v)}
            peaks.append(max(finite.items(), key=lambda kv: kv[1]) if finite else ("", np.nan))
        bars = ax_m.barh(y, [v for _, v in peaks], color="#6a8caf")
        for b, (stage, v) in zip(bars, peaks):
            if np.isfinite(v):
                ax_m.text(b.get_width(), b.get_y() + b.get_height() / 2, f" {v:.0f} ({stage})", va="center",
                          fontsize=7)
        ax_m.set_xlabel("peak resident memory (MiB)")
        ax_m.set_title("peak memory of the run (stage that peaked)")
        ax_m.set_xlim(0, 1.45 * np.nanmax([v for _, v in peaks] + [1.0]))
        return to_png(fig)
    profiled = [r for r in runs if r.profile]
    if not profiled:
        return None
    fig = Figure(figsize=(9, 3))
    ax_t, ax_m = fig.subplots(1, 2)
    names = [r.name for r in profiled]
    ax_t.bar(names, [float(r.profile.get("sec_per_img") or np.nan) for r in profiled])
    ax_t.set_ylabel("s / image")
    ax_m.bar(names, [float(r.profile.get("peak_rss_mib") or np.nan) for r in profiled])
    ax_m.set_ylabel("peak RSS (MiB)")
    for ax in (ax_t, ax_m):
        ax.tick_params(axis="x", rotation=30, labelsize=8)
    return to_png(fig)


def comparison_bars(pairs: list[tuple[RunResult, Pair]], max_bars: int = 30) -> bytes | None:
    """Ours vs reported for every compared cell in percent (embedded runs hatched)."""
    items = [(r, p) for r, p in pairs if p.entry.unit == "percent" and p.ours is not None][:max_bars]
    if not items:
        return None
    labels = [f"{p.entry.table_key.split(' (')[0]}: {p.entry.row[:28]} / {p.entry.column[:18]}\n{r.name[:30]}"
              for r, p in items]
    fig = Figure(figsize=(min(16, 3 + 0.6 * len(items)), 4.5))
    ax = fig.add_subplot()
    x = np.arange(len(items))
    ax.bar(x - 0.2, [p.entry.value for _, p in items], 0.4, label="reported (paper)", color="#888888")
    bars = ax.bar(x + 0.2, [p.ours for _, p in items], 0.4, label="ours", color="#1f77b4")
    for b, (r, _) in zip(bars, items):
        if r.data != "paper":
            b.set_hatch("//")
    ax.set_xticks(x)
    ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("percent")
    ax.set_title("ours vs reported (hatched: embedded data, not comparable)")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return to_png(fig)

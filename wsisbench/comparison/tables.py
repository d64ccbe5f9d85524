"""Display of run-set statistics and claim verdicts (percent), shared by the CLI and the reports."""
from __future__ import annotations

import math

import pandas as pd

from .bootstrap import Difference
from .claims import ClaimVerdict


def pct(x: float | None, places: int = 2, signed: bool = False) -> str:
    """A fraction as percent text; '–' when missing."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{100.0 * x:+.{places}f}" if signed else f"{100.0 * x:.{places}f}"


def mean_std_text(mean: float, std: float, n: int, places: int = 2) -> str:
    """``mean ± std`` in percent (``n=1``: the value alone)."""
    if n <= 1 or std is None or math.isnan(std):
        return pct(mean, places)
    return f"{pct(mean, places)} ± {100.0 * std:.{places}f}"


def interval_text(d: Difference | None, places: int = 2) -> str:
    """``+1.23 [0.45, 2.01]`` (percent points) or '–'."""
    if d is None:
        return "–"
    if d.low is None:
        return f"{pct(d.point, places, True)} [no interval]"
    return f"{pct(d.point, places, True)} [{pct(d.low, places, True)}, {pct(d.high, places, True)}]"


def difference_frame(d: Difference) -> pd.DataFrame:
    """One comparison as a table: each side's mean ± std over seeds, and the difference with its interval."""
    rows = [
        {"": "left", "runs": d.left, "metric": d.left_metric, "seeds": ", ".join(map(str, d.seeds_left)),
         "mean ± std (%)": mean_std_text(d.left_mean, d.left_std, len(d.seeds_left))},
        {"": "right", "runs": d.right, "metric": d.right_metric, "seeds": ", ".join(map(str, d.seeds_right)),
         "mean ± std (%)": mean_std_text(d.right_mean, d.right_std, len(d.seeds_right))},
        {"": "left - right", "runs": "", "metric": "", "seeds": "",
         "mean ± std (%)": f"{interval_text(d)} ({int(100 * d.confidence)} % CI, {d.replicates} replicates over "
                           f"{d.resampled}{f', {d.num_images} images' if d.num_images else ''})"},
    ]
    return pd.DataFrame(rows)


def _paper_text(v: ClaimVerdict) -> str:
    c = v.claim
    if not c.has_paper_numbers:
        return "stated without numbers"
    rel = {"greater": ">", "less": "<", "no_worse": "≥", "equivalent": "≈"}[c.direction]
    unit = "" if c.paper_unit == "percent" else f" (×{c.paper_unit})" if c.paper_unit != "fraction" else " (fraction)"
    left, right = c.paper_text()
    return f"{left} {rel} {right}{unit}"


def _side_text(v: ClaimVerdict, left: bool) -> str:
    rs = v.left_set if left else v.right_set
    side = v.claim.left if left else v.claim.right
    if rs is None or not rs.has_metric(side.metric):
        return "–"
    return mean_std_text(*rs.mean_std(side.metric))


def verdicts_frame(verdicts: list[ClaimVerdict], with_notes: bool = True) -> tuple[pd.DataFrame, list[str]]:
    """The verdicts table (one row per claim) and its numbered notes."""
    notes: list[str] = []
    rows = []
    for v in verdicts:
        c = v.claim
        refs = []
        for n in v.notes + ([c.note] if c.note else []):
            if n not in notes:
                notes.append(n)
            refs.append(f"[{notes.index(n) + 1}]")
        d = v.difference
        row = {
            "claim": c.id, "statement": c.text, "table": c.paper_table,
            "left": f"{c.left.method}/{c.left.preset}" if c.left.method != c.method else c.left.preset,
            "right": f"{c.right.method}/{c.right.preset}" if c.right.method != c.method else c.right.preset,
            "metric": (c.left.metric if c.left.metric == c.right.metric else f"{c.left.metric} vs {c.right.metric}")
            + (f" ({c.direction.replace('_', ' ')}, margin {c.margin:g})" if c.margin is not None else ""),
            "left (%)": _side_text(v, True), "right (%)": _side_text(v, False),
            "left - right [95 % CI]": interval_text(d),
            "seeds L/R": f"{len(v.left_set.runs) if v.left_set else 0}/{len(v.right_set.runs) if v.right_set else 0}",
            "resampled": d.resampled if d else "–",
            "paper": _paper_text(v), "verdict": v.verdict,
        }
        if with_notes:
            row["notes"] = " ".join(refs)
        rows.append(row)
    return pd.DataFrame(rows), [f"[{i + 1}] {t}" for i, t in enumerate(notes)]


def verdicts_markdown(verdicts: list[ClaimVerdict]) -> str:
    """The verdicts table as Markdown, with its notes and a summary line."""
    frame, notes = verdicts_frame(verdicts)
    lines = [frame_markdown(frame)]
    if notes:
        lines.append("")
        lines += [f"{n}  " for n in notes]
    counts = {k: sum(v.verdict == k for v in verdicts) for k in ("reproduced", "contradicted", "inconclusive",
                                                                   "not run")}
    lines.append("")
    lines.append(", ".join(f"{n} {k}" for k, n in counts.items()) + f" ({len(verdicts)} claims)")
    return "\n".join(lines) + "\n"


def frame_markdown(frame: pd.DataFrame) -> str:
    """A pipe table (no extra dependency)."""
    cols = [str(c) for c in frame.columns]

    def cell(x) -> str:
        return str(x).replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for _, row in frame.iterrows():
        out.append("| " + " | ".join(cell(row[c]) for c in frame.columns) + " |")
    return "\n".join(out)

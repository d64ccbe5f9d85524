"""Write a report to a folder: ``report.md|tex|html``, ``figures/*.png`` (md, tex) and ``tables/*.csv``."""
from __future__ import annotations

from pathlib import Path

from wsisbench.errors import WsisbenchError
from wsisbench.reporting.build import build_report
from wsisbench.reporting.html import write_html
from wsisbench.reporting.latex import write_latex
from wsisbench.reporting.markdown import write_markdown
from wsisbench.reporting.results import load_runs
from wsisbench.utils.atomic import atomic_write_text

FORMATS = {"md": write_markdown, "latex": write_latex, "html": write_html}


def write_report(runs: list[str | Path], fmt: str | list[str], out: str | Path,
                 leaderboard: str | None = None, title: str | None = None) -> list[Path]:
    """Build the report of ``runs`` (result.json files or work dirs) and write it in each format.

    Returns the written report files. The tables are also written as CSV under ``out/tables``.
    """
    formats = [fmt] if isinstance(fmt, str) else list(fmt)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise WsisbenchError(f"unknown report format(s) {unknown}; valid formats: {', '.join(FORMATS)}")
    report = build_report(load_runs(list(runs)), leaderboard=leaderboard, title=title)
    out = Path(out)
    written = [FORMATS[f](report, out) for f in formats]
    for t in report.tables():
        atomic_write_text(out / "tables" / f"{t.name}.csv", t.frame.to_csv(index=False))
    return written

"""Render a :class:`Report` as GitHub-flavoured Markdown; figures go to ``figures/<name>.png``."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from wsisbench.reporting.model import FigureBlock, Report, TableBlock, TextBlock


def _cell(x) -> str:
    return str(x).replace("|", "\\|").replace("\n", " ")


def frame_to_markdown(frame: pd.DataFrame) -> str:
    """A pipe table (no external dependency such as tabulate)."""
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(_cell(c) for c in cols) + " |", "|" + "|".join(" --- " for _ in cols) + "|"]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return "\n".join(lines)


def render_markdown(report: Report, figures_dir: str = "figures") -> tuple[str, dict[str, bytes]]:
    """(Markdown text, {relative figure path: PNG bytes})."""
    out = [f"# {report.title}", ""]
    for b in report.banners:
        out += [f"> **⚠ {b}**", ""]
    files: dict[str, bytes] = {}
    for section in report.sections:
        out += [f"## {section.title}", ""]
        for block in section.blocks:
            if isinstance(block, TableBlock):
                out += [f"**{block.caption}**", "", frame_to_markdown(block.frame), ""]
                out += [f"<sub>{n}</sub>  " for n in block.footnotes]
                out.append("")
            elif isinstance(block, FigureBlock):
                rel = f"{figures_dir}/{block.name}.png"
                files[rel] = block.png
                out += [f"![{block.caption}]({rel})", "", f"*{block.caption}*", ""]
            elif isinstance(block, TextBlock):
                out += [block.text, ""]
    return "\n".join(out).rstrip() + "\n", files


def write_markdown(report: Report, out_dir: Path) -> Path:
    text, files = render_markdown(report)
    from wsisbench.utils.atomic import atomic_write_bytes, atomic_write_text

    for rel, data in files.items():
        atomic_write_bytes(out_dir / rel, data)
    return atomic_write_text(out_dir / "report.md", text)

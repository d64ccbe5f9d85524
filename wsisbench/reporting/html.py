"""Render a :class:`Report` as one self-contained HTML file: inline CSS, figures as base64 PNG, no links."""
from __future__ import annotations

import base64
import html
from pathlib import Path

from wsisbench.reporting.model import FigureBlock, Report, TableBlock, TextBlock

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em;max-width:1400px;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
.banner{background:#fff3cd;border:2px solid #d39e00;padding:.8em 1em;font-weight:bold;margin:1em 0}
table.wsis{border-collapse:collapse;font-size:.85em;margin:.5em 0}
table.wsis th{border-top:2px solid #333;border-bottom:1px solid #333;padding:.3em .6em;text-align:left}
table.wsis td{padding:.2em .6em;border-bottom:1px solid #eee;white-space:nowrap}
table.wsis tr:last-child td{border-bottom:2px solid #333}
.caption{font-weight:bold;margin-top:1.2em}.foot{font-size:.8em;color:#555;margin:.1em 0}
figure{margin:1em 0}figure img{max-width:100%}figcaption{font-style:italic;font-size:.9em}
.scroll{overflow-x:auto}
"""


def render_html(report: Report) -> str:
    """The complete HTML document as a string."""
    esc = html.escape
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{esc(report.title)}</title><style>{CSS}</style></head><body>", f"<h1>{esc(report.title)}</h1>"]
    for b in report.banners:
        out.append(f'<div class="banner">⚠ {esc(b)}</div>')
    for section in report.sections:
        out.append(f"<h2>{esc(section.title)}</h2>")
        for block in section.blocks:
            if isinstance(block, TableBlock):
                out.append(f'<div class="caption">{esc(block.caption)}</div>')
                table = block.frame.to_html(index=False, escape=True, border=0, classes="wsis", na_rep="–")
                out.append(f'<div class="scroll">{table}</div>')
                out += [f'<div class="foot">{esc(n)}</div>' for n in block.footnotes]
            elif isinstance(block, FigureBlock):
                data = base64.b64encode(block.png).decode("ascii")
                out.append(f'<figure><img alt="{esc(block.caption)}" src="data:image/png;base64,{data}">'
                           f"<figcaption>{esc(block.caption)}</figcaption></figure>")
            elif isinstance(block, TextBlock):
                out.append(f"<p>{esc(block.text)}</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_html(report: Report, out_dir: Path) -> Path:
    from wsisbench.utils.atomic import atomic_write_text

    return atomic_write_text(out_dir / "report.html", render_html(report))

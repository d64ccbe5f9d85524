"""Render a :class:`Report` as a standalone LaTeX document with booktabs tables (pdflatex-ready).

Only packages of a basic TeX installation are used (booktabs, longtable, array, graphicx, lscape,
fontenc). Text is
escaped and non-ASCII characters are replaced by LaTeX commands or ASCII so that pdflatex compiles it.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pandas as pd

from wsisbench.reporting.model import FigureBlock, Report, TableBlock, TextBlock

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
            "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
            "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}"}
_UNICODE = {"†": r"\textdagger{}", "‡": r"\textdaggerdbl{}", "—": "---", "–": "--", "→": r"$\rightarrow$",
            "Δ": r"$\Delta$", "⚠": "", "✓": "yes", "×": r"$\times$", "…": "...", "’": "'", "‘": "`",
            "“": "``", "”": "''", "·": r"$\cdot$", "±": r"$\pm$"}

PREAMBLE = r"""\documentclass[10pt]{article}
\usepackage[T1]{fontenc}
\usepackage{booktabs}
\usepackage{longtable}
\usepackage{graphicx}
\usepackage{lscape}
\usepackage{array}
\setlength{\textwidth}{6.5in}\setlength{\oddsidemargin}{0in}\setlength{\evensidemargin}{0in}
\setlength{\textheight}{9in}\setlength{\topmargin}{-0.5in}
\setlength{\tabcolsep}{3pt}
\setlength{\LTcapwidth}{\textwidth}
"""


def escape(text) -> str:
    """Plain text -> LaTeX: specials escaped, known symbols mapped, other non-ASCII transliterated."""
    out = []
    for ch in str(text):
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif ch in _UNICODE:
            out.append(_UNICODE[ch])
        elif ord(ch) < 128:
            out.append(ch)
        else:
            ascii_ = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            out.append(escape(ascii_) if ascii_ else "?")
    return "".join(out)


_NUMERIC = re.compile(r"[+-]?\d+(\.\d+)?[†‡]?")
PORTRAIT_PT, LANDSCAPE_PT = 468.0, 648.0  # text width of the page set in PREAMBLE, upright and turned
_PT_PER_CHAR = {r"\small": 5.0, r"\scriptsize": 3.9}


def _is_numeric(frame: pd.DataFrame, col) -> bool:
    vals = [str(v) for v in frame[col] if str(v) not in ("", "–")]
    return bool(vals) and all(_NUMERIC.fullmatch(v) for v in vals)


def column_spec(frame: pd.DataFrame, size: str) -> tuple[str, bool]:
    """(longtable column spec, landscape?): numbers right-aligned; when the estimated width exceeds
    the page, the page is turned and the widest text columns wrap (``p{..}``) until the table fits."""
    per_char = _PT_PER_CHAR[size]
    widths = {c: per_char * max([len(str(c))] + [len(str(v)) for v in frame[c]]) + 6 for c in frame.columns}
    landscape = sum(widths.values()) > PORTRAIT_PT
    page = LANDSCAPE_PT if landscape else PORTRAIT_PT
    wrap: dict = {}
    text_cols = [c for c in frame.columns if not _is_numeric(frame, c)]
    for _ in range(50):
        total = sum(wrap.get(c, widths[c]) for c in frame.columns)
        if total <= page or not text_cols:
            break
        widest = max(text_cols, key=lambda c: wrap.get(c, widths[c]))
        current = wrap.get(widest, widths[widest])
        if current <= 50:
            break
        wrap[widest] = max(50.0, current - (total - page) if total - page < current / 2 else current * 0.7)
    spec = "".join(rf">{{\raggedright\arraybackslash}}p{{{wrap[c] - 6:.0f}pt}}" if c in wrap
                   else ("r" if _is_numeric(frame, c) else "l")
                   for c in frame.columns)
    return spec, landscape


def frame_to_latex(frame: pd.DataFrame, caption: str, label: str, footnotes: list[str]) -> str:
    """A booktabs ``longtable`` (breaks across pages) with caption, label and footnotes below it;
    wide tables go on a landscape page with wrapped text columns."""
    size = r"\scriptsize" if len(frame.columns) > 7 else r"\small"
    spec, landscape = column_spec(frame, size)
    head = " & ".join(rf"\textbf{{{escape(c)}}}" for c in frame.columns) + r" \\"
    lines = [r"\begin{landscape}"] if landscape else []
    lines += ["{" + size, rf"\begin{{longtable}}{{{spec}}}",
              rf"\caption{{{escape(caption)}}}\label{{tab:{label}}}\\", r"\toprule", head, r"\midrule",
              r"\endfirsthead",
              r"\toprule", head, r"\midrule", r"\endhead", r"\bottomrule", r"\endfoot"]
    for row in frame.itertuples(index=False):
        lines.append(" & ".join(escape(v) for v in row) + r" \\")
    lines.append(r"\end{longtable}")
    lines += [rf"\par\noindent{{\footnotesize {escape(n)}}}" for n in footnotes]
    lines.append("}")
    if landscape:
        lines.append(r"\end{landscape}")
    return "\n".join(lines)


def render_latex(report: Report, figures_dir: str = "figures") -> tuple[str, dict[str, bytes]]:
    """(LaTeX source, {relative figure path: PNG bytes})."""
    out = [PREAMBLE, rf"\title{{{escape(report.title)}}}", r"\date{}", r"\begin{document}", r"\maketitle"]
    for b in report.banners:
        out.append(rf"\noindent\fbox{{\parbox{{\dimexpr\linewidth-2\fboxsep-2\fboxrule}}{{\textbf{{{escape(b)}}}}}}}\par\medskip")
    files: dict[str, bytes] = {}
    for section in report.sections:
        out.append(rf"\section{{{escape(section.title)}}}")
        for block in section.blocks:
            if isinstance(block, TableBlock):
                out.append(frame_to_latex(block.frame, block.caption, block.name, block.footnotes))
            elif isinstance(block, FigureBlock):
                rel = f"{figures_dir}/{block.name}.png"
                files[rel] = block.png
                out += [r"\begin{figure}[htbp]", r"\centering",
                        rf"\includegraphics[width=\linewidth,height=0.8\textheight,keepaspectratio]{{{rel}}}",
                        rf"\caption{{{escape(block.caption)}}}", rf"\label{{fig:{block.name}}}", r"\end{figure}"]
            elif isinstance(block, TextBlock):
                out.append(escape(block.text) + "\n")
        out.append(r"\clearpage")
    out.append(r"\end{document}")
    return "\n".join(out) + "\n", files


def write_latex(report: Report, out_dir: Path) -> Path:
    from wsisbench.utils.atomic import atomic_write_bytes, atomic_write_text

    text, files = render_latex(report)
    for rel, data in files.items():
        atomic_write_bytes(out_dir / rel, data)
    return atomic_write_text(out_dir / "report.tex", text)

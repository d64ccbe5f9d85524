"""The report as a document: sections of tables, figures and text, independent of the output format.

``build.py`` fills a :class:`Report`; ``markdown.py``, ``latex.py`` and ``html.py`` render it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class TableBlock:
    """A pandas table with a caption and footnotes; ``name`` is a file-safe id (CSV export, labels)."""

    name: str
    caption: str
    frame: pd.DataFrame
    footnotes: list[str] = field(default_factory=list)


@dataclass
class FigureBlock:
    """A PNG figure (bytes) with a caption; ``name`` becomes ``figures/<name>.png``."""

    name: str
    caption: str
    png: bytes


@dataclass
class TextBlock:
    text: str


Block = TableBlock | FigureBlock | TextBlock


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Report:
    """Title, warning banners shown at the top (e.g. embedded data), then sections."""

    title: str
    banners: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)

    def tables(self) -> list[TableBlock]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, TableBlock)]

    def figures(self) -> list[FigureBlock]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, FigureBlock)]

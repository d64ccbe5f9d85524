"""Data model of a leaderboard file: a paper's tables, each a grid of reported numbers.

A file (``leaderboards/<name>.yaml``) holds tables in the paper's own layout: ``columns`` and ``rows``
as printed, and each row's ``cells`` aligned with the columns. The loader flattens every non-empty
cell into one :class:`Entry` carrying everything needed to compare it: method / variant, backbone,
training setting, benchmark, split, protocol, metric, value, unit and source (document + table).
Descriptive fields are inherited file defaults -> table defaults -> column -> row -> cell.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCHEMA = "wsisbench.leaderboard/1"

#: fields an entry inherits from defaults / column / row (the keys a leaderboard file may set there).
ENTRY_FIELDS = (
    "method", "variant", "backbone", "training", "benchmark", "split", "protocol", "protocol_presumed",
    "metric", "unit", "classes", "direction", "conditions",
)
#: fields an entry must end up with (``variant`` defaults to the row label).
REQUIRED_FIELDS = ("method", "backbone", "training", "benchmark", "split", "protocol", "metric", "unit")

FILE_KEYS = {"schema", "paper", "document", "documents", "defaults", "tables"}
TABLE_KEYS = {"table", "part", "caption", "note", "document", "defaults", "columns", "rows"}
COLUMN_KEYS = {"label", "note", *ENTRY_FIELDS}
ROW_KEYS = {"label", "note", "cells", *ENTRY_FIELDS}
CELL_KEYS = {"value", "note", "range"}


def join_label(label: list[str]) -> str:
    """Row/column label cells as one string: ``["R-50-FPN", "class-agnostic"]`` -> ``"R-50-FPN | class-agnostic"``."""
    return " | ".join(c for c in label if c != "") or "(blank)"


@dataclass
class Entry:
    """One reported number with its full context; ``value`` is in ``unit`` exactly as printed."""

    leaderboard: str
    document: str
    table: str
    part: str | None
    row: str
    column: str
    method: str
    variant: str
    backbone: str
    training: str
    benchmark: str
    split: str
    protocol: str
    metric: str
    value: float
    unit: str
    classes: str = "all"
    direction: str | None = None
    protocol_presumed: bool = False
    conditions: dict[str, Any] = field(default_factory=dict)
    range: tuple[float, float] | None = None
    note: str | None = None
    row_index: int = 0
    column_index: int = 0
    decimals: int = 1  # decimals the paper prints for this number (to print it as printed)

    @property
    def table_key(self) -> str:
        return f"{self.table} {self.part}" if self.part else self.table

    @property
    def source(self) -> str:
        """``document, table[, part]``: where to look the number up."""
        return f"{self.document}, {self.table_key}"

    def where(self) -> str:
        """A locator for error messages: ``Table 3.1, row 'x', column 'y'``."""
        return f"{self.table_key}, row {self.row!r}, column {self.column!r}"

    def get(self, name: str) -> Any:
        """A field by name; ``conditions.<key>`` reaches into :attr:`conditions`."""
        if name.startswith("conditions."):
            return self.conditions.get(name.split(".", 1)[1])
        return getattr(self, name)


@dataclass
class Table:
    """A table as printed: column and row labels (one string per header/label cell) and the entries."""

    leaderboard: str
    document: str
    table: str
    part: str | None
    caption: str
    note: str | None
    column_labels: list[list[str]]
    row_labels: list[list[str]]
    cells: list[list[float | None]]  # [row][column], None where the paper prints '-' or nothing
    entries: list[Entry]
    decimals: list[list[int]] = field(default_factory=list)  # [row][column], decimals as printed

    @property
    def key(self) -> str:
        return f"{self.table} {self.part}" if self.part else self.table


@dataclass
class Leaderboard:
    """All tables of one paper file."""

    name: str  # file stem, e.g. "maskx_rcnn"
    path: str
    paper: str
    document: str
    tables: list[Table]

    @property
    def entries(self) -> list[Entry]:
        return [e for t in self.tables for e in t.entries]

    def table(self, key: str) -> Table:
        """A table by ``"Table 3.5 (a) ..."``-style key or by its bare id when that is unique."""
        hits = [t for t in self.tables if t.key == key] or [t for t in self.tables if t.table == key]
        if len(hits) != 1:
            from wsisbench.errors import UnknownNameError

            raise UnknownNameError(f"table of {self.name}", key, [t.key for t in self.tables])
        return hits[0]

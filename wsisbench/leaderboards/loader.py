"""Load and validate leaderboard files (``leaderboards/<name>.yaml``) into :class:`Leaderboard` objects.

``load_leaderboard("maskx_rcnn")`` reads the file, flattens each table into entries, validates them and
raises one :class:`~wsisbench.errors.WsisbenchError` listing every problem, each with the file, table,
row and column. Top-level keys that start with ``_`` hold YAML anchors (shared column lists) and are
otherwise ignored.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from wsisbench.errors import UnknownNameError, WsisbenchError
from wsisbench.leaderboards.schema import (
    CELL_KEYS,
    COLUMN_KEYS,
    ENTRY_FIELDS,
    FILE_KEYS,
    ROW_KEYS,
    SCHEMA,
    TABLE_KEYS,
    Entry,
    Leaderboard,
    Table,
    join_label,
)
from wsisbench.leaderboards.sources import SourceDocument, leaderboard_search_path, load_sources, parse_documents
from wsisbench.leaderboards.validation import check_duplicates, check_entry, is_number

#: files in the leaderboards folder that are not paper leaderboards.
NOT_LEADERBOARDS = {"sources"}
#: leaderboard names of earlier versions -> their names now (one spelling per method)
RENAMED = {"ficklenet": "fickle_net", "mask_x_rcnn": "maskx_rcnn"}


class PrintedFloat(float):
    """A float read from YAML that remembers how many decimals were written (``39.80`` -> 2)."""

    decimals: int = 1


class _Loader(yaml.SafeLoader):
    """SafeLoader whose floats keep their written precision, so reports print numbers as the paper did."""


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    value = PrintedFloat(loader.construct_yaml_float(node))
    text = str(node.value).lower()
    value.decimals = len(text.split(".", 1)[1]) if "." in text and "e" not in text else 0
    return value


_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def _files(directory: Path | None = None) -> dict[str, Path]:
    dirs = [directory] if directory else leaderboard_search_path()
    out: dict[str, Path] = {}
    for d in dirs:
        for p in sorted(d.glob("*.yaml")):
            if p.stem not in NOT_LEADERBOARDS:
                out.setdefault(p.stem, p)
    return out


def list_leaderboards(directory: Path | None = None) -> list[str]:
    """Names (file stems) of the leaderboard files (of ``directory``, else of every project root)."""
    return sorted(_files(directory))


def load_all(directory: Path | None = None) -> dict[str, Leaderboard]:
    """Every leaderboard, by name."""
    return {n: load_leaderboard(n, directory) for n in list_leaderboards(directory)}


def load_leaderboard(name_or_path: str | Path, directory: Path | None = None) -> Leaderboard:
    """Load one leaderboard by name (``"fickle_net"``) or by path to a YAML file."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") and p.exists():
        path = p
        directory = directory or p.parent
    else:
        files = _files(directory)
        if str(name_or_path) not in files:
            if str(name_or_path) in RENAMED:
                raise WsisbenchError(f"leaderboard {name_or_path!r} is now called {RENAMED[str(name_or_path)]!r}")
            raise UnknownNameError("leaderboard", str(name_or_path), files)
        path = files[str(name_or_path)]
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # safe: a SafeLoader subclass
    except yaml.YAMLError as e:
        raise WsisbenchError(f"{path}: not valid YAML: {e}") from e
    sources = load_sources(directory if directory and (directory / "sources.yaml").exists() else None)
    if isinstance(raw, dict) and raw.get("documents") is not None:
        sources = {**sources, **parse_documents(raw["documents"], path)}
    board, problems = _parse(path, raw, sources)
    if problems:
        listing = "\n  - ".join(problems[:40])
        more = f"\n  ... and {len(problems) - 40} more" if len(problems) > 40 else ""
        raise WsisbenchError(f"{path}: {len(problems)} problem(s):\n  - {listing}{more}")
    return board


def _label(raw, where: str, problems: list[str]) -> list[str]:
    cells = raw if isinstance(raw, list) else [raw]
    out = []
    for c in cells:
        if not isinstance(c, str):
            problems.append(f"{where}: label cell {c!r} must be a string (quote numbers and yes/no)")
            c = str(c)
        out.append(c)
    return out


def _unknown_keys(d: dict, allowed: set[str], where: str, problems: list[str]) -> None:
    extra = sorted(k for k in d if k not in allowed and not str(k).startswith("_"))
    if extra:
        problems.append(f"{where}: unknown key(s) {', '.join(map(repr, extra))} "
                        f"(allowed: {', '.join(sorted(allowed))})")


def _merge(*layers: dict) -> dict[str, Any]:
    """Later layers win; ``conditions`` are merged key by key."""
    out: dict[str, Any] = {"conditions": {}}
    for layer in layers:
        for k in ENTRY_FIELDS:
            if k not in layer:
                continue
            if k == "conditions":
                if isinstance(layer[k], dict):
                    out["conditions"] = {**out["conditions"], **layer[k]}
                else:
                    out["conditions"] = layer[k]  # reported by check_entry
            else:
                out[k] = layer[k]
    return out


def _check_document(doc, where: str, sources: dict[str, SourceDocument], problems: list[str]) -> None:
    if doc not in sources:
        problems.append(f"{where}: document {doc!r} is not listed in sources.yaml or the file's documents "
                        f"(known: {', '.join(sorted(sources))})")


def _parse(path: Path, raw, sources) -> tuple[Leaderboard, list[str]]:
    problems: list[str] = []
    name = path.stem
    if not isinstance(raw, dict):
        return Leaderboard(name, str(path), "", "", []), ["expected a mapping at the top level"]
    _unknown_keys(raw, FILE_KEYS, "top level", problems)
    if raw.get("schema") != SCHEMA:
        problems.append(f"top level: schema must be {SCHEMA!r}, not {raw.get('schema')!r}")
    file_defaults = raw.get("defaults") or {}
    if not isinstance(file_defaults, dict):
        problems.append("top level: defaults must be a mapping")
        file_defaults = {}
    _unknown_keys(file_defaults, set(ENTRY_FIELDS), "top-level defaults", problems)
    tables_raw = raw.get("tables")
    if not isinstance(tables_raw, list) or not tables_raw:
        problems.append("top level: 'tables' must be a non-empty list")
        tables_raw = []
    tables: list[Table] = []
    seen_tables: set[str] = set()
    for ti, t in enumerate(tables_raw):
        table = _parse_table(name, t, ti, raw.get("document"), file_defaults, sources, problems)
        if table is None:
            continue
        if table.key in seen_tables:
            problems.append(f"{table.key}: the table appears twice (give each a distinct 'part')")
        seen_tables.add(table.key)
        tables.append(table)
    entries = [e for t in tables for e in t.entries]
    for e in entries:
        problems.extend(check_entry(e))
    problems.extend(check_duplicates(entries))
    return Leaderboard(name, str(path), str(raw.get("paper", "")), str(raw.get("document", "")), tables), problems


def _parse_table(board: str, t, ti: int, file_doc, file_defaults: dict, sources, problems) -> Table | None:
    if not isinstance(t, dict) or not isinstance(t.get("table"), str):
        problems.append(f"tables[{ti}]: each table needs a 'table' name such as 'Table 3.1'")
        return None
    key = f"{t['table']} {t['part']}" if t.get("part") else t["table"]
    _unknown_keys(t, TABLE_KEYS, key, problems)
    doc = t.get("document", file_doc)
    _check_document(doc, key, sources, problems)
    tdefaults = t.get("defaults") or {}
    if not isinstance(tdefaults, dict):
        problems.append(f"{key}: defaults must be a mapping")
        tdefaults = {}
    _unknown_keys(tdefaults, set(ENTRY_FIELDS), f"{key} defaults", problems)
    columns, rows = t.get("columns"), t.get("rows")
    if not isinstance(columns, list) or not columns or not isinstance(rows, list) or not rows:
        problems.append(f"{key}: 'columns' and 'rows' must be non-empty lists")
        return None
    col_labels, col_specs = [], []
    for ci, c in enumerate(columns):
        c = c if isinstance(c, dict) else {"label": c}
        _unknown_keys(c, COLUMN_KEYS, f"{key}, column {ci + 1}", problems)
        col_labels.append(_label(c.get("label", ""), f"{key}, column {ci + 1}", problems))
        col_specs.append(c)
    _unique([join_label(c) for c in col_labels], f"{key}: column", problems)
    row_labels, grid, grid_places, entries = [], [], [], []
    for ri, r in enumerate(rows):
        if not isinstance(r, dict):
            problems.append(f"{key}, row {ri + 1}: each row must be a mapping with 'label' and 'cells'")
            continue
        rlabel = _label(r.get("label", ""), f"{key}, row {ri + 1}", problems)
        rname = join_label(rlabel)
        _unknown_keys(r, ROW_KEYS, f"{key}, row {rname!r}", problems)
        cells = r.get("cells")
        if not isinstance(cells, list) or len(cells) != len(columns):
            problems.append(f"{key}, row {rname!r}: 'cells' must be a list of {len(columns)} values "
                            f"(one per column), got {cells!r}")
            continue
        row_labels.append(rlabel)
        values: list[float | None] = []
        places: list[int] = []
        for ci, cell in enumerate(cells):
            cname = join_label(col_labels[ci])
            cell_note, cell_range = None, None
            if isinstance(cell, dict):
                _unknown_keys(cell, CELL_KEYS, f"{key}, row {rname!r}, column {cname!r}", problems)
                cell_note, cell_range, cell = cell.get("note"), cell.get("range"), cell.get("value")
            values.append(float(cell) if is_number(cell) else None)
            places.append(_decimals(cell) if is_number(cell) else 0)
            if cell is None:
                continue
            fields = _merge(file_defaults, tdefaults, col_specs[ci], r)
            notes = [n for n in (col_specs[ci].get("note"), r.get("note"), cell_note) if n]
            entries.append(Entry(
                leaderboard=board, document=str(doc), table=t["table"], part=t.get("part"), row=rname,
                column=cname, method=fields.get("method", ""), variant=fields.get("variant") or rname,
                backbone=fields.get("backbone", ""), training=fields.get("training", ""),
                benchmark=fields.get("benchmark", ""), split=str(fields.get("split", "")),
                protocol=fields.get("protocol", ""), metric=fields.get("metric", ""), value=cell,
                decimals=places[-1], unit=fields.get("unit", ""), classes=fields.get("classes", "all"),
                direction=fields.get("direction"), protocol_presumed=fields.get("protocol_presumed", False),
                conditions=fields["conditions"],
                range=tuple(cell_range) if isinstance(cell_range, list) else cell_range,
                note=" ".join(notes) or None, row_index=ri, column_index=ci))
        grid.append(values)
        grid_places.append(places)
    _unique([join_label(r) for r in row_labels], f"{key}: row", problems)
    return Table(board, str(doc), t["table"], t.get("part"), str(t.get("caption", "")), t.get("note"),
                 col_labels, row_labels, grid, entries, grid_places)


def _decimals(x: float) -> int:
    """Decimals of a number as written in the file (``39.80`` -> 2, ``20`` -> 0)."""
    if isinstance(x, PrintedFloat):
        return x.decimals
    text = repr(x)
    return 0 if isinstance(x, int) or "." not in text or "e" in text else len(text.split(".")[1])


def _unique(names: list[str], what: str, problems: list[str]) -> None:
    seen = set()
    for n in names:
        if n in seen:
            problems.append(f"{what} label {n!r} appears twice")
        seen.add(n)

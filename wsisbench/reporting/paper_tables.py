"""A paper's table regenerated in its own layout, with our rows next to the paper's.

For every row of the leaderboard table the paper's row is printed as it was (source ``paper``), followed
by one row per run that maps onto it (source ``ours: <run> (<evaluation>)``, the evaluation being the
result.json evaluation the numbers come from, e.g. ``val`` or ``pseudo_train``) with our values in the
same columns.
Columns are the paper's columns; a run fills only the cells its mapping selects (e.g. one column of
FickleNet's transposed Table 7). Numbers measured on embedded data carry the embedded marker.
"""
from __future__ import annotations

import pandas as pd

from wsisbench.leaderboards.mapping import Pair
from wsisbench.leaderboards.schema import Table, join_label
from wsisbench.reporting.formatting import data_mark, fmt, pretty
from wsisbench.reporting.results import RunResult
from wsisbench.reporting.tables import run_label


def _units(table: Table) -> list[str]:
    units = ["percent"] * len(table.column_labels)
    for e in table.entries:
        units[e.column_index] = e.unit
    return units


def regenerate(table: Table, pairs: list[tuple[RunResult, Pair]]) -> pd.DataFrame:
    """The table as printed plus our rows; ``pairs`` may include entries of other tables (ignored)."""
    columns = [pretty(join_label(c)) for c in table.column_labels]
    units = _units(table)
    ours: dict[int, dict[str, tuple[RunResult, dict[int, float | None]]]] = {}
    for run, p in pairs:
        e = p.entry
        if e.leaderboard != table.leaderboard or e.table_key != table.key:
            continue
        by_run = ours.setdefault(e.row_index, {})
        by_run.setdefault(run.name, (run, {}, set()))[1][e.column_index] = p.ours
        if p.ours is not None:
            by_run[run.name][2].add(p.key.split("/", 1)[0] if "/" in p.key else p.key)
    rows = []
    for ri, label in enumerate(table.row_labels):
        rows.append({"row": pretty(join_label(label)), "source": "paper",
                     **{c: fmt(v, units[ci], places=table.decimals[ri][ci])
                        for ci, (c, v) in enumerate(zip(columns, table.cells[ri]))}})
        for run, values, evaluations in ours.get(ri, {}).values():
            mark = data_mark(run.data)
            source = f"ours: {run_label(run)}" + (f" ({', '.join(sorted(evaluations))})" if evaluations else "")
            rows.append({"row": pretty(join_label(label)), "source": source,
                         **{c: (fmt(values[ci], units[ci], mark if values[ci] is not None else "")
                                if ci in values else "") for ci, c in enumerate(columns)}})
    return pd.DataFrame(rows, columns=["row", "source", *columns])


def tables_touched(pairs: list[tuple[RunResult, Pair]]) -> list[tuple[str, str]]:
    """(leaderboard, table key) of every table that some run maps onto, in first-seen order."""
    return list(dict.fromkeys((p.entry.leaderboard, p.entry.table_key) for _, p in pairs))

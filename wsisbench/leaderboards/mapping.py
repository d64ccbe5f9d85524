"""Which leaderboard cells a run reproduces, and which result.json metric each is compared with.

A mapping (a cell of a method's ``metafile.yaml``, or ``leaderboard = dict(...)`` in a run's config, which
then replaces the metafile's cells for that run) has:

- ``match``: result.json fields by dotted path -> pattern (``{method: fickle_net, preset: "*"}``),
- ``leaderboard``: the file name, ``select``: entry fields -> pattern (one dict, or a list = OR),
- ``key``: the result.json metrics key of an entry, a template over entry fields (default
  ``"{split}/{metric}"``), and ``metrics``: per-metric keys that override the template.

Patterns: strings are shell-style, case-insensitive (``"Table 3.5"``, ``"*(a)*"``); numbers compare
equal; lists mean any of. ``conditions.p`` reaches into an entry's conditions.
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

from wsisbench.errors import WsisbenchError
from wsisbench.leaderboards.schema import Entry, Leaderboard
from wsisbench.leaderboards.units import to_unit

DEFAULT_KEY = "{split}/{metric}"
#: result.json keys for reported metrics that are not ``<evaluation>/<metric>``.
DEFAULT_METRIC_KEYS = {
    "sec_per_img": "time/sec_per_img",
    "sec_per_iter": "time/sec_per_iter",
    "postprocess_sec_per_img": "time/postprocess_sec_per_img",
    "gpu_memory": "memory/cuda_max_allocated_mib",  # the run pipeline's key (torch max_memory_allocated)
}
_MAPPING_KEYS = {"name", "match", "leaderboard", "select", "key", "metrics"}


@dataclass
class Mapping:
    name: str
    leaderboard: str
    select: list[dict[str, Any]]
    match: dict[str, Any] = field(default_factory=dict)
    key: str = DEFAULT_KEY
    metrics: dict[str, str] = field(default_factory=dict)
    origin: str = ""

    def result_key(self, e: Entry) -> str:
        """The result.json metrics key that ``e`` is compared with."""
        if e.metric in self.metrics:
            return self.metrics[e.metric]
        if e.metric in DEFAULT_METRIC_KEYS and self.key == DEFAULT_KEY:
            return DEFAULT_METRIC_KEYS[e.metric]
        fields = {k: v for k, v in vars(e).items() if isinstance(v, (str, int, float)) or v is None}
        try:
            return self.key.format(**fields)
        except (KeyError, IndexError) as err:
            raise WsisbenchError(f"{self.origin}: mapping {self.name!r}: key template {self.key!r} names "
                                 f"an unknown entry field {err}") from None


@dataclass
class Pair:
    """A leaderboard entry and our measurement of it (in the entry's unit; None when not measured)."""

    entry: Entry
    key: str
    ours: float | None
    mapping: str


def matches(value: Any, pattern: Any) -> bool:
    """One field against one pattern (see the module docstring)."""
    if isinstance(pattern, list):
        return any(matches(value, p) for p in pattern)
    if value is None:
        return pattern is None
    if isinstance(pattern, bool) or isinstance(value, bool):
        return value == pattern
    if isinstance(pattern, (int, float)):
        try:
            return float(value) == float(pattern)
        except (TypeError, ValueError):
            return False
    return fnmatch.fnmatchcase(str(value).lower(), str(pattern).lower())


def _parse(raw: Any, origin: str, index: int, implicit_match: bool = False) -> Mapping:
    where = f"{origin}: mapping {index + 1}"
    if not isinstance(raw, dict):
        raise WsisbenchError(f"{where}: expected a mapping with 'leaderboard' and 'select'")
    extra = set(raw) - _MAPPING_KEYS
    if extra:
        raise WsisbenchError(f"{where}: unknown key(s) {sorted(extra)} (allowed: {sorted(_MAPPING_KEYS)})")
    if not isinstance(raw.get("leaderboard"), str):
        raise WsisbenchError(f"{where}: 'leaderboard' (a file name such as 'fickle_net') is required")
    select = raw.get("select")
    select = [select] if isinstance(select, dict) else select
    if not isinstance(select, list) or not select or not all(isinstance(s, dict) for s in select):
        raise WsisbenchError(f"{where}: 'select' must be a mapping of entry fields to patterns, or a list of them")
    match = raw.get("match") or {}
    if not implicit_match and not match:
        raise WsisbenchError(f"{where}: 'match' (e.g. {{method: fickle_net}}) is required")
    metrics = raw.get("metrics") or {}
    if not isinstance(match, dict) or not isinstance(metrics, dict):
        raise WsisbenchError(f"{where}: 'match' and 'metrics' must be mappings")
    return Mapping(name=str(raw.get("name", f"{raw['leaderboard']}#{index + 1}")), leaderboard=raw["leaderboard"],
                   select=select, match=match, key=str(raw.get("key", DEFAULT_KEY)),
                   metrics={str(k): str(v) for k, v in metrics.items()}, origin=origin)


def parse_mapping(raw: Any, origin: str, index: int = 0) -> Mapping:
    """One mapping from its dict (``leaderboard``, ``select``, ``match``, ``key``, ``metrics``, ``name``)."""
    return _parse(raw, origin, index)


def load_mappings() -> list[Mapping]:
    """The cells of every method's metafile, as mappings (see :mod:`wsisbench.leaderboards.metafile`)."""
    from wsisbench.leaderboards.metafile import load_metafiles, metafile_mappings

    return [m for meta in load_metafiles().values() for m in metafile_mappings(meta)]


def mappings_for_run(run, file_mappings: list[Mapping]) -> list[Mapping]:
    """The run's own ``config.leaderboard`` mappings if it has any, else the matching file mappings."""
    own = run.config.get("leaderboard") if isinstance(run.config, dict) else None
    if own:
        own = own if isinstance(own, list) else [own]
        return [_parse(m, f"{run.path} (config.leaderboard)", i, implicit_match=True) for i, m in enumerate(own)]
    return [m for m in file_mappings if all(matches(run.lookup(k), p) for k, p in m.match.items())]


def _entry_matches(e: Entry, s: dict[str, Any]) -> bool:
    for k, p in s.items():
        if k == "table":  # the bare id ("Table 3.5") or the id with its part
            if not (matches(e.table, p) or matches(e.table_key, p)):
                return False
        else:
            try:
                value = e.get(k)
            except AttributeError:
                raise WsisbenchError(f"select {s}: {k!r} is not an entry field") from None
            if not matches(value, p):
                return False
    return True


def select_entries(board: Leaderboard, select: list[dict[str, Any]]) -> list[Entry]:
    """Entries of ``board`` that satisfy any of the ``select`` dicts (fields AND-ed within one)."""
    return [e for e in board.entries if any(_entry_matches(e, s) for s in select)]


def pairs_for_run(run, boards: dict[str, Leaderboard], file_mappings: list[Mapping],
                  only: str | None = None) -> list[Pair]:
    """Every (entry, our value) pair for ``run``; ``only`` restricts to one leaderboard."""
    pairs, seen = [], set()
    for m in mappings_for_run(run, file_mappings):
        if only and m.leaderboard != only:
            continue
        if m.leaderboard not in boards:
            raise WsisbenchError(f"{m.origin}: mapping {m.name!r} names leaderboard {m.leaderboard!r}, "
                                 f"which does not exist (known: {', '.join(sorted(boards))})")
        for e in select_entries(boards[m.leaderboard], m.select):
            ident = (e.leaderboard, e.table_key, e.row, e.column)
            if ident in seen:
                continue
            seen.add(ident)
            key = m.result_key(e)
            v = run.metrics.get(key)
            ours = None if v is None or v != v else to_unit(v, key, e.unit)
            pairs.append(Pair(e, key, ours, m.name))
    return pairs

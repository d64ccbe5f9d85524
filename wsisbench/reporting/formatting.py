"""How reports print numbers and mark where our numbers come from (embedded vs paper data)."""
from __future__ import annotations

import math
import re

#: footnote marker on every number measured on the embedded synthetic benchmark.
EMBEDDED_MARK = "†"
UNKNOWN_MARK = "‡"
EMBEDDED_BANNER = ("EMBEDDED SYNTHETIC BENCHMARK — NOT COMPARABLE TO THE PAPER. Numbers marked "
                   f"{EMBEDDED_MARK} (data = embedded) were measured on wsisbench's generated data with small "
                   "presets; they show that the pipeline runs, they are not reproductions of the reported numbers.")
UNKNOWN_BANNER = (f"Runs marked {UNKNOWN_MARK} do not say which data they used (no 'data' field in result.json); "
                  "treat their numbers as not comparable to the paper.")
EMBEDDED_FOOTNOTE = f"{EMBEDDED_MARK} embedded synthetic benchmark — not comparable to the paper."
UNKNOWN_FOOTNOTE = f"{UNKNOWN_MARK} data origin unknown — not comparable to the paper."


def pretty(label: str) -> str:
    """A label as printed in a paper, with its LaTeX bits made readable (``voc \\rightarrow non-voc`` ->
    ``voc → non-voc``, ``$10^{-3}$`` -> ``10^-3``); for display only, selections use the raw label."""
    label = label.replace("\\rightarrow", "→")
    label = re.sub(r"\\mathcal\{(\w+)\}", r"\1", label)
    label = re.sub(r"\^\{([^}]*)\}", r"^\1", label)
    return " ".join(label.replace("$", "").split())


def data_mark(data: str) -> str:
    """The marker for a run's ``data`` field: '' for paper data."""
    return {"paper": "", "embedded": EMBEDDED_MARK}.get(data, UNKNOWN_MARK)


def is_missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def decimals(unit: str) -> int:
    return {"percent": 2, "fraction": 4, "s/img": 3, "s/iter": 3, "s": 3, "GB": 2, "MiB": 1}.get(unit, 2)


def fmt(x, unit: str = "percent", mark: str = "", places: int | None = None) -> str:
    """A number in ``unit`` with the report's precision (or ``places`` decimals); '–' when missing."""
    if is_missing(x):
        return "–"
    return f"{x:.{decimals(unit) if places is None else places}f}{mark}"


def fmt_delta(ours, reported, unit: str = "percent") -> str:
    """Signed difference ours - reported; '–' when either is missing."""
    if is_missing(ours) or is_missing(reported):
        return "–"
    return f"{ours - reported:+.{decimals(unit)}f}"


def fmt_metric(key: str, value) -> str:
    """A result.json value by key: quality metrics as percent, times in s, memory in MiB."""
    from wsisbench.leaderboards.units import result_unit

    unit = result_unit(key)
    if unit == "fraction":
        return fmt(None if is_missing(value) else 100.0 * value, "percent")
    return fmt(value, unit)

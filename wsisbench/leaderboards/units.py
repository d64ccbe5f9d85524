"""Unit conversion between result.json values and leaderboard values.

result.json stores quality metrics as fractions, times in seconds (``time/...``) and memory in MiB
(``memory/..._mib``) or GB (``memory/..._gb``); leaderboards store numbers as printed (percent, s/img,
GB, ...). ``to_unit`` converts a measured value into a leaderboard unit, ``from_unit`` goes back.
"""
from __future__ import annotations

from wsisbench.errors import WsisbenchError

_MIB_PER_GB = 1024.0  # papers' "GB" of GPU memory taken as GiB


def result_unit(key: str) -> str:
    """The unit a result.json metric key is stored in: ``fraction``, ``s``, ``MiB`` or ``GB``."""
    k = key.lower()
    if k.startswith("time/") or k.endswith(("_s", "sec_per_img", "sec_per_iter")):
        return "s"
    if k.startswith("memory/") or k.endswith(("_mib", "_gb")):
        return "GB" if k.endswith("_gb") else "MiB"
    return "fraction"


def _factor(source: str, unit: str, key: str) -> float:
    """Multiply a value in ``source`` units by this to get ``unit``."""
    table = {
        ("fraction", "percent"): 100.0, ("fraction", "fraction"): 1.0,
        ("fraction", "1e-3"): 1e3, ("fraction", "1e-5"): 1e5, ("fraction", "x"): 1.0,
        ("s", "s/img"): 1.0, ("s", "s/iter"): 1.0,
        ("MiB", "GB"): 1.0 / _MIB_PER_GB, ("MiB", "MiB"): 1.0,
        ("GB", "GB"): 1.0, ("GB", "MiB"): _MIB_PER_GB,
    }
    try:
        return table[(source, unit)]
    except KeyError:
        raise WsisbenchError(f"cannot compare result metric {key!r} (stored in {source}) with a number "
                             f"reported in {unit!r}; map that metric to a key with a matching unit") from None


def to_unit(value: float, key: str, unit: str) -> float:
    """A result.json value of metric ``key`` expressed in leaderboard ``unit``."""
    return value * _factor(result_unit(key), unit, key)


def from_unit(value: float, unit: str, key: str) -> float:
    """A leaderboard value in ``unit`` expressed in the units of result.json metric ``key``."""
    return value / _factor(result_unit(key), unit, key)

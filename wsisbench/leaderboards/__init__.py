"""Reported numbers from the papers, as data: one YAML file per paper under ``leaderboards/``.

- :func:`load_leaderboard`, :func:`list_leaderboards`, :func:`load_all` -- read and validate files
- :class:`Leaderboard`, :class:`Table`, :class:`Entry` -- the data model (``schema.py``)
- :mod:`wsisbench.leaderboards.mapping` -- which leaderboard cells a run reproduces
"""
from wsisbench.leaderboards.loader import list_leaderboards, load_all, load_leaderboard
from wsisbench.leaderboards.schema import Entry, Leaderboard, Table

__all__ = ["Entry", "Leaderboard", "Table", "list_leaderboards", "load_all", "load_leaderboard"]

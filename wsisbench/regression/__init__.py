"""Regression checks: runs against stored references (``leaderboards/references/``) or reported numbers.

- :mod:`~wsisbench.regression.reference` -- the reference file format, read / write
- :mod:`~wsisbench.regression.tolerance` -- absolute and relative tolerances, direction of a regression
- :mod:`~wsisbench.regression.check` -- the comparison and its readable output
"""

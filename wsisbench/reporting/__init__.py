"""Reports from result.json files: tables (pandas), plots (matplotlib, Agg) and three output formats.

>>> from wsisbench.reporting import write_report
>>> write_report(["work_dirs/fickle_net/embedded"], "html", "reports/fickle_net")

One concept per module: ``results`` (read result.json), ``tables``, ``paper_tables`` (the papers' layouts
regenerated), ``plots``, ``overlays`` (qualitative figures), ``build`` (assemble), ``markdown`` /
``latex`` / ``html`` (render), ``writer`` (files on disk). Importing this package is cheap; pandas and
matplotlib load when a report is built.
"""
FORMATS = ("md", "latex", "html")


def write_report(*args, **kwargs):
    """See :func:`wsisbench.reporting.writer.write_report`."""
    from wsisbench.reporting.writer import write_report as _write

    return _write(*args, **kwargs)


__all__ = ["FORMATS", "write_report"]

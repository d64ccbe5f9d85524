"""Class subsets of partially supervised runs, by name: which classes have masks (A), which are scored.

A subset in a config is one of:

- a name of the benchmark's ``class_splits`` (the generated benchmarks' fixed ``'A'`` / ``'B'``);
- ``'voc'`` / ``'nonvoc'``: the 20 PASCAL VOC classes of COCO and the other 60 (Mask^X R-CNN's split);
- a list of class names;
- ``None`` / ``'all'``: every class (the fully supervised oracle).
"""
from __future__ import annotations

from typing import Sequence

from wsisbench.errors import WsisbenchError

_VOC_NAMES = ("voc",)
_NONVOC_NAMES = ("nonvoc", "non-voc", "non_voc")


def resolve_class_subset(spec, class_names: Sequence[str], benchmark) -> list[str] | None:
    """Class names of ``spec`` in ``class_names`` order; None means all classes.

    ``benchmark`` is the run's :class:`~wsisbench.benchmarks.BenchmarkSpec`; its ``class_splits`` name the
    fixed subsets of generated benchmarks ('A', 'B'). Raises WsisbenchError for an unknown split name or a
    class that the benchmark does not have.
    """
    if spec is None or (isinstance(spec, str) and spec.lower() == "all"):
        return None
    named = dict(getattr(benchmark, "class_splits", None) or {})
    if isinstance(spec, str):
        key = spec.lower()
        if spec in named:
            names = list(named[spec])
        elif key in _VOC_NAMES + _NONVOC_NAMES:
            from wsisbench.datasets.class_names import COCO_ID_TO_NAME, NONVOC_COCO_CATEGORY_IDS, VOC_COCO_CATEGORY_IDS

            ids = VOC_COCO_CATEGORY_IDS if key in _VOC_NAMES else NONVOC_COCO_CATEGORY_IDS
            names = [COCO_ID_TO_NAME[i] for i in ids]
        else:
            raise WsisbenchError(f"unknown class split {spec!r} for benchmark {benchmark.name!r}; use "
                                 f"{', '.join(repr(n) for n in named) or 'voc, nonvoc'}, 'all' or a list of class "
                                 f"names")
    else:
        names = [str(n) for n in spec]
    unknown = [n for n in names if n not in class_names]
    if unknown:
        raise WsisbenchError(f"class split {spec!r}: {unknown} are not classes of this benchmark "
                             f"({', '.join(class_names)})")
    if not names:
        raise WsisbenchError(f"class split {spec!r} is empty")
    wanted = set(names)
    return [n for n in class_names if n in wanted]


def class_labels(names: Sequence[str] | None, class_names: Sequence[str]) -> list[int] | None:
    """0-based labels (positions in ``class_names``) of ``names``; None stays None (all classes)."""
    if names is None:
        return None
    return [list(class_names).index(n) for n in names]

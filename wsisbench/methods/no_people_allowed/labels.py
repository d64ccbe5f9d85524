"""Image-level label preparation of NoPeopleAllowed's classification step (Sec. 3.1).

The paper removes the 'person' labels from LID's training list and balances the other classes by
downsampling. Both steps are pure functions over a mapping ``{image id: [class indices]}`` (class indices are
non-negative ints in the benchmark's numbering). They return a new mapping and a report dict; the input is not
changed. A label list comes out as the sorted, duplicate-free list of its classes, and the kept images keep
their input order.

Counts are numbers of images: ``class_counts(labels)[k]`` is how many images list class ``k``.
"""
from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np

from wsisbench.errors import WsisbenchError

Labels = Mapping[Hashable, Sequence[int]]


def _clean(labels: Labels) -> dict[Hashable, list[int]]:
    """The label lists as sorted, duplicate-free lists of ints; a non-integer or negative class is an error."""
    out = {}
    for img_id, classes in labels.items():
        if isinstance(classes, (str, bytes)) or not isinstance(classes, (Sequence, np.ndarray, set, frozenset)):
            raise WsisbenchError(f"image {img_id!r}: the labels must be a list of class indices, got {classes!r}")
        clean = set()
        for c in classes:
            if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or c < 0:
                raise WsisbenchError(f"image {img_id!r}: class {c!r} is not a non-negative integer index")
            clean.add(int(c))
        out[img_id] = sorted(clean)
    return out


def class_counts(labels: Labels) -> dict[int, int]:
    """Class index -> number of images that list it, sorted by class index."""
    counts: dict[int, int] = {}
    for classes in _clean(labels).values():
        for c in classes:
            counts[c] = counts.get(c, 0) + 1
    return dict(sorted(counts.items()))


def _counts_after(before: dict[int, int], after: dict[int, int]) -> dict[int, int]:
    """``after`` on the classes of ``before`` (a class that lost all its images counts 0)."""
    return {c: after.get(c, 0) for c in before}


def remove_class(labels: Labels, class_index: int, drop_empty: bool = True) -> tuple[dict, dict]:
    """Remove ``class_index`` (the paper's 'person') from every image's label list.

    Args:
        labels: ``{image id: [class indices]}``.
        class_index: the class to remove.
        drop_empty: drop the images left with no label (the default: they showed only the removed class,
            and as all-negative examples they would teach the classifier that its object is background).
    Returns:
        ``(labels, report)``; the report holds ``removed_class``, ``images_before``, ``images_after``,
        ``images_relabelled`` (images that listed the class), ``images_dropped_empty`` and the per-class image
        counts ``class_counts_before`` / ``class_counts_after`` (same keys; the removed class counts 0 after).
    """
    if isinstance(class_index, bool) or not isinstance(class_index, (int, np.integer)) or class_index < 0:
        raise WsisbenchError(f"the class to remove must be a non-negative integer index, got {class_index!r}")
    clean = _clean(labels)
    out: dict[Hashable, list[int]] = {}
    relabelled = dropped = 0
    for img_id, classes in clean.items():
        kept = [c for c in classes if c != class_index]
        relabelled += len(kept) != len(classes)
        if not kept and drop_empty:
            dropped += 1
            continue
        out[img_id] = kept
    before = class_counts(clean)
    report = {"removed_class": int(class_index), "images_before": len(clean), "images_after": len(out),
              "images_relabelled": relabelled, "images_dropped_empty": dropped,
              "class_counts_before": before, "class_counts_after": _counts_after(before, class_counts(out))}
    return out, report


def balance_by_downsampling(labels: Labels, target: int, seed: int = 0) -> tuple[dict, dict]:
    """Keep about ``target`` images per class by dropping images of the frequent classes.

    The rule: visit the images in a random order (a permutation drawn with ``numpy.random.default_rng(seed)``
    of the image ids sorted by ``str``, so the result does not depend on the mapping's order), counting the
    kept images of each class. An image is kept when at least one of its classes has fewer than ``target``
    kept images so far; its classes' counts then all go up by one. An image with no class is needed by none
    and is dropped.

    Consequences: a class with ``n`` images keeps at least ``min(n, target)`` of them (if it ended below
    ``target``, every one of its images was needed, so all ``n`` were kept); a class can keep more than
    ``target`` when its images are kept for a rarer class they also show.

    Args:
        labels: ``{image id: [class indices]}``.
        target: the number of images per class to reach (>= 1).
        seed: the seed of the visiting order; same labels and seed, same result.
    Returns:
        ``(labels, report)``; the report holds ``target``, ``seed``, ``images_before``, ``images_after`` and
        the per-class image counts ``class_counts_before`` / ``class_counts_after`` (same keys).
    """
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or target < 1:
        raise WsisbenchError(f"the balancing target must be a positive number of images per class, got {target!r}")
    clean = _clean(labels)
    ids = sorted(clean, key=str)
    order = np.random.default_rng(seed).permutation(len(ids))
    kept_counts: dict[int, int] = {}
    keep = set()
    for index in order:
        img_id = ids[int(index)]
        classes = clean[img_id]
        if any(kept_counts.get(c, 0) < target for c in classes):
            keep.add(img_id)
            for c in classes:
                kept_counts[c] = kept_counts.get(c, 0) + 1
    out = {img_id: classes for img_id, classes in clean.items() if img_id in keep}
    before = class_counts(clean)
    report = {"target": int(target), "seed": int(seed), "images_before": len(clean), "images_after": len(out),
              "class_counts_before": before, "class_counts_after": _counts_after(before, class_counts(out))}
    return out, report

"""Plain (framework-free) readers of VOC-style ground truth: label maps and instance masks.

Two sources share one representation, a class map and an object map, both ``uint8[H, W]``:

- VOC 2012 PNGs: ``SegmentationClass/<id>.png`` (0 background, 1..K classes, 255 void) and
  ``SegmentationObject/<id>.png`` (0 none, 1..n instance ids, 255 void), palette indices;
- SBD ``.mat`` files: ``cls/<id>.mat`` (struct ``GTcls``, field ``Segmentation``) and ``inst/<id>.mat``
  (struct ``GTinst``, fields ``Segmentation`` with instance ids and ``Categories``); SBD has no void band.

Instance rule (evaluation-protocols.md section 1): instance ``k`` is ``obj == k`` for ``k`` in 1..254;
0 and 255 mean 'no instance'; its class is the class-map value under the mask; void (class 255) pixels
belong to no instance.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from wsisbench.errors import DataError

from .png import read_label_png

#: value of void / ambiguous pixels in class and object maps
VOID = 255


def read_sbd_mat(path: str | os.PathLike, struct: str | None = None) -> np.ndarray:
    """Read the ``Segmentation`` field of an SBD ``cls``/``inst`` ``.mat`` file as ``uint8[H, W]``.

    ``struct`` is ``'GTcls'`` or ``'GTinst'``; by default the one present in the file.
    """
    from scipy.io import loadmat

    path = Path(path)
    try:
        data = loadmat(str(path), squeeze_me=True, struct_as_record=False)
    except FileNotFoundError:
        raise DataError(f"{path}: SBD annotation file is missing") from None
    except Exception as e:  # scipy raises assorted errors on corrupt files
        raise DataError(f"{path}: cannot read SBD .mat file ({e})") from None
    names = [struct] if struct else ["GTcls", "GTinst"]
    for name in names:
        if name in data:
            seg = np.asarray(data[name].Segmentation)
            if seg.ndim != 2 or seg.size and (seg.min() < 0 or seg.max() > 255):
                raise DataError(f"{path}: {name}.Segmentation is not a 2-D map of values in [0, 255]")
            return seg.astype(np.uint8)
    raise DataError(f"{path}: no {' or '.join(names)} struct in SBD .mat file")


def read_label_map(path: str | os.PathLike) -> np.ndarray:
    """Read a class or object map, ``uint8[H, W]``, from a VOC PNG or an SBD ``.mat`` file."""
    path = Path(path)
    if path.suffix.lower() == ".mat":
        return read_sbd_mat(path)
    return read_label_png(path)


def instances_from_maps(obj: np.ndarray, cls: np.ndarray, name: str = "") -> tuple[np.ndarray, np.ndarray]:
    """Split an object map into instances.

    Args:
        obj: ``uint8[H, W]`` object ids (0 and 255: no instance).
        cls: ``uint8[H, W]`` class ids (0 background, 1..K, 255 void).
        name: the file(s) named in errors.

    Returns:
        ``(masks bool[N, H, W], labels int64[N])`` with 0-based foreground labels (class ``c`` -> ``c - 1``),
        instances in increasing object id.
    """
    if obj.shape != cls.shape:
        raise DataError(f"{name}: object map {obj.shape} and class map {cls.shape} differ in size")
    ids = [int(k) for k in np.unique(obj) if 0 < k < VOID]
    masks = np.zeros((len(ids),) + obj.shape, dtype=bool)
    labels = np.zeros(len(ids), dtype=np.int64)
    not_void = cls != VOID
    for i, k in enumerate(ids):
        mask = (obj == k) & not_void
        under = cls[mask]
        under = under[under > 0]
        if under.size == 0:
            raise DataError(f"{name}: object {k} covers only background/void pixels in the class map")
        values, counts = np.unique(under, return_counts=True)
        masks[i] = mask
        labels[i] = int(values[np.argmax(counts)]) - 1
    return masks, labels


def load_voc_instances(obj_png: str | os.PathLike, cls_png: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Instances of one image: ``(masks bool[N, H, W], labels int64[N])``, labels 0-based.

    ``obj_png``/``cls_png`` are ``SegmentationObject``/``SegmentationClass`` PNGs (or SBD ``inst``/``cls``
    ``.mat`` files). See :func:`instances_from_maps` for the rule.
    """
    obj, cls = read_label_map(obj_png), read_label_map(cls_png)
    return instances_from_maps(obj, cls, name=f"{obj_png} / {cls_png}")


def image_labels_from_class_map(cls: np.ndarray, num_classes: int, name: str = "") -> list[int]:
    """Sorted 0-based foreground classes present in a class map (``uint8[H, W]``, 0 bg, 255 void).

    Raises :class:`DataError` naming ``name`` for values outside ``{0, ..., num_classes, 255}``.
    """
    values = np.unique(cls)
    bad = [int(v) for v in values if v > num_classes and v != VOID]
    if bad:
        raise DataError(f"{name}: unknown class ids {bad} (this dataset has classes 1..{num_classes} and void 255)")
    return [int(v) - 1 for v in values if 0 < v <= num_classes]

"""Semantic segmentation metrics from one streaming confusion matrix (evaluation-protocols.md, section 3).

``n[i, j]`` counts pixels with ground-truth class ``i`` predicted as class ``j`` over the whole dataset;
pixels whose ground truth is ``ignore_index`` (255, VOC's void band) are left out. From it:

- ``IoU_c = n_cc / (row_c + col_c - n_cc)``; a class predicted but absent from the ground truth has IoU 0,
  a class absent from both is NaN;
- ``Acc_c = n_cc / row_c`` (NaN when the class is absent from the ground truth);
- ``aAcc = trace / total``; ``mIoU`` / ``mAcc`` are nanmeans, ``*_nan0`` the means with NaN counted as 0.

Predictions outside ``[0, C-1]`` follow an explicit policy, chosen per benchmark:

- ``"error"`` (the VOC devkit): any such pixel, anywhere in the image, raises :class:`DataError`;
- ``"background"`` (IRN): the pixel counts as a background (class 0) prediction;
- ``"ignore"`` (mmseg's ``IoUMetric``): the pixel is dropped from the prediction histogram only, i.e. it
  still counts in its ground-truth class's row as a miss, but in no class's column. Such pixels are kept in
  an extra column, see :attr:`SemanticConfusion.unassigned`.

Memory is ``O(C^2)`` whatever the number of images. Label maps whose values fit in a byte (the usual
case, VOC 21 and LID 201 classes with void 255) go through one 65,536-bin joint histogram per image
(``np.bincount`` of ``gt << 8 | pred``, over runs of equal pixels where the maps are piecewise constant),
a few hundred megapixels per second on one core.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from wsisbench.errors import DataError

#: the allowed policies for predictions outside ``[0, C-1]``
OUT_OF_RANGE_POLICIES = ("error", "background", "ignore")
#: the summary metrics of an evaluations entry (fractions)
SEMANTIC_METRICS = ("mIoU", "mIoU_nan0", "mAcc", "mAcc_nan0", "aAcc")


def _nanmean(values: np.ndarray) -> float:
    """Mean of the finite entries; NaN when there is none (no RuntimeWarning)."""
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if finite.size else float("nan")


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` elementwise with NaN where ``den == 0`` (float64)."""
    num = num.astype(np.float64)
    den = den.astype(np.float64)
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _change_density(g: np.ndarray, p: np.ndarray) -> float:
    """Fraction of pixels where ``(g, p)`` differs from its left neighbour, on every 16th row."""
    gs, ps = g[::16], p[::16]
    if gs.shape[1] < 2:
        return 1.0
    changes = np.count_nonzero((gs[:, 1:] != gs[:, :-1]) | (ps[:, 1:] != ps[:, :-1]))
    return changes / gs.size


def _joint_histogram(g: np.ndarray, p: np.ndarray) -> np.ndarray:
    """int64 [65536]: counts of ``g << 8 | p`` for byte-valued label maps [H, W].

    Label maps are mostly piecewise constant, so when few pixels start a new run of ``(g, p)`` (in raster
    order) the runs are counted, weighted by their lengths; otherwise every pixel is (one ``np.bincount``).
    Both give the same integers (run lengths are exact in float64 far beyond any image size).
    """
    n = g.size
    if n >= 4096 and _change_density(g, p) < 0.15:
        g1, p1 = g.reshape(-1), p.reshape(-1)
        starts = np.empty(n, dtype=bool)
        starts[0] = True
        np.not_equal(g1[1:], g1[:-1], out=starts[1:])
        starts[1:] |= p1[1:] != p1[:-1]
        first = np.flatnonzero(starts)
        code = g1[first].astype(np.intp)
        code <<= 8
        code |= p1[first]
        lengths = np.diff(first, append=n)
        return np.bincount(code, weights=lengths, minlength=65536).astype(np.int64)
    code = g.astype(np.intp).reshape(-1)
    code <<= 8
    code |= p.reshape(-1)
    return np.bincount(code, minlength=65536)


class SemanticConfusion:
    """A streaming confusion matrix for semantic segmentation.

    Args:
        num_classes: ``C``, the number of classes including background (VOC 21, LID 201).
        ignore_index: ground-truth value excluded from every count (void); ``None`` for no void value.
            It must lie outside ``[0, C-1]``.
        out_of_range: policy for predicted values outside ``[0, C-1]``: ``"error"``, ``"background"`` or
            ``"ignore"`` (see the module docstring).
        class_names: optional ``C`` names used by :meth:`per_class`.

    Ground-truth values outside ``[0, C-1]`` other than ``ignore_index`` always raise :class:`DataError`.
    """

    def __init__(self, num_classes: int = 21, ignore_index: int | None = 255, out_of_range: str = "error",
                 class_names: Sequence[str] | None = None):
        if int(num_classes) < 1:
            raise ValueError(f"num_classes must be >= 1, got {num_classes}")
        if out_of_range not in OUT_OF_RANGE_POLICIES:
            raise ValueError(f"out_of_range must be one of {OUT_OF_RANGE_POLICIES}, got {out_of_range!r}")
        if ignore_index is not None and 0 <= int(ignore_index) < int(num_classes):
            raise ValueError(f"ignore_index {ignore_index} is a valid class id for {num_classes} classes")
        if class_names is not None and len(class_names) != int(num_classes):
            raise ValueError(f"{len(class_names)} class names for {num_classes} classes")
        self.num_classes = int(num_classes)
        self.ignore_index = None if ignore_index is None else int(ignore_index)
        self.out_of_range = out_of_range
        self.class_names = list(class_names) if class_names is not None else None
        # Byte-sized labels go through a 256 x 256 joint histogram.
        self._byte_path = self.num_classes <= 255 and (self.ignore_index is None or 0 <= self.ignore_index <= 255)
        valid = np.zeros(256, dtype=bool)
        valid[: self.num_classes] = True
        if self.ignore_index is not None and self._byte_path:
            valid[self.ignore_index] = True
        self._bad_rows = np.flatnonzero(~valid)  # GT byte values that are neither a class nor void
        self.reset()

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Forget every counted pixel."""
        #: int64 [C, C+1]: GT rows, prediction columns; column C = out-of-range predictions ('ignore')
        self._extra = np.zeros((self.num_classes, self.num_classes + 1), dtype=np.int64)
        #: int64 [256 * 256]: joint histogram of (gt byte, pred byte), folded into counts on demand
        self._joint = np.zeros(65536, dtype=np.int64) if self._byte_path else None
        self.num_images = 0

    @property
    def _counts(self) -> np.ndarray:
        """int64 [C, C+1]: all counts so far (the byte histogram folded in under the policy)."""
        if self._joint is None:
            return self._extra.copy()
        return self._extra + self._fold(self._joint)

    def _fold(self, joint: np.ndarray) -> np.ndarray:
        """int64 [C, C+1] from a byte joint histogram [65536], out-of-range predictions by the policy."""
        C = self.num_classes
        j2 = joint.reshape(256, 256)
        counts = np.zeros((C, C + 1), dtype=np.int64)
        counts[:, :C] = j2[:C, :C]
        missed = j2[:C, C:].sum(axis=1)  # all zero under 'error' (checked per image)
        if self.out_of_range == "background":
            counts[:, 0] += missed
        else:
            counts[:, C] += missed
        return counts

    @property
    def matrix(self) -> np.ndarray:
        """int64 [C, C]: ``matrix[i, j]`` = pixels of GT class ``i`` predicted as ``j`` (a copy)."""
        return self._counts[:, : self.num_classes]

    @property
    def unassigned(self) -> np.ndarray:
        """int64 [C]: pixels of each GT class whose prediction was out of range (policy 'ignore' only)."""
        return self._counts[:, self.num_classes]

    def state(self) -> dict[str, Any]:
        """A picklable snapshot (for gathering across processes); :meth:`merge` accepts it back.

        ``counts`` is int64 [C, C+1] (column C: out-of-range predictions under 'ignore').
        """
        return {"counts": self._counts, "num_images": self.num_images, "num_classes": self.num_classes,
                "ignore_index": self.ignore_index, "out_of_range": self.out_of_range}

    def merge(self, other: "SemanticConfusion | dict[str, Any]") -> "SemanticConfusion":
        """Add another confusion's counts (or a :meth:`state` dict) into this one; returns ``self``."""
        state = other.state() if isinstance(other, SemanticConfusion) else other
        for key in ("num_classes", "ignore_index", "out_of_range"):
            if state[key] != getattr(self, key):
                raise ValueError(f"cannot merge confusions with different {key}: "
                                 f"{getattr(self, key)!r} vs {state[key]!r}")
        self._extra += np.asarray(state["counts"], dtype=np.int64)
        self.num_images += int(state["num_images"])
        return self

    # ----------------------------------------------------------------- update
    def update(self, gt: np.ndarray, pred: np.ndarray, name: str | None = None) -> None:
        """Count one image.

        Args:
            gt: int array [H, W], class ids ``0..C-1`` or ``ignore_index``.
            pred: int array [H, W] of predicted class ids (same shape as ``gt``).
            name: image name or path, used in error messages.

        Raises:
            DataError: shapes differ, a map is not an integer 2-D array, the ground truth holds a value that
                is neither a class nor ``ignore_index``, or (policy 'error') a prediction is out of range.
        """
        gt, pred, where = self._checked_pair(gt, pred, name)
        if self._byte_path:
            self._joint += self._count_bytes(gt, pred, where)
        else:
            self._extra += self._count_general(gt, pred, where)
        self.num_images += 1

    def _checked_pair(self, gt: np.ndarray, pred: np.ndarray, name: str | None) -> tuple:
        """``(gt, pred, where)``: both maps checked as label maps of one shape; ``where`` names the image."""
        where = f"image {name!r}" if name is not None else "image"
        gt = self._as_label_map(gt, "ground truth", where)
        pred = self._as_label_map(pred, "prediction", where)
        if gt.shape != pred.shape:
            raise DataError(f"{where}: prediction shape {pred.shape} differs from ground-truth shape {gt.shape}")
        return gt, pred, where

    def image_counts(self, gt: np.ndarray, pred: np.ndarray, name: str | None = None) -> np.ndarray:
        """The counts of one image, int64 [C, C+1] (checked as in :meth:`update`, not accumulated).

        Adding them with :meth:`merge` (``{"counts": ..., "num_images": 1, ...}``) equals :meth:`update`.
        """
        gt, pred, where = self._checked_pair(gt, pred, name)
        if self._byte_path:
            return self._fold(self._count_bytes(gt, pred, where))
        return self._count_general(gt, pred, where)

    @staticmethod
    def _as_label_map(a: Any, what: str, where: str) -> np.ndarray:
        a = np.asarray(a)
        if a.ndim == 3 and a.shape[0] == 1:  # [1, H, W] as mmseg/mmdet keep it
            a = a[0]
        if a.ndim != 2:
            raise DataError(f"{where}: {what} must be a 2-D label map [H, W], got shape {a.shape}"
                            + (" (an RGB image? label maps must hold class indices)" if a.ndim == 3 else ""))
        if a.dtype == np.bool_:
            a = a.view(np.uint8)
        if not np.issubdtype(a.dtype, np.integer):
            raise DataError(f"{where}: {what} must hold integer class ids, got dtype {a.dtype}")
        return a

    def _bad_gt_error(self, where: str, values: np.ndarray) -> DataError:
        shown = ", ".join(str(int(v)) for v in values[:10])
        void = f" or {self.ignore_index} (void)" if self.ignore_index is not None else ""
        return DataError(f"{where}: ground truth holds value(s) {shown}; valid values are 0..{self.num_classes - 1}"
                         f"{void}")

    def _bad_pred_error(self, where: str, values: np.ndarray) -> DataError:
        shown = ", ".join(str(int(v)) for v in values[:10])
        return DataError(f"{where}: prediction holds out-of-range value(s) {shown}; valid classes are "
                         f"0..{self.num_classes - 1} (policy out_of_range='error'; 'background' maps them to 0, "
                         f"'ignore' drops them from the prediction histogram)")

    def _to_bytes(self, a: np.ndarray, is_gt: bool, where: str) -> np.ndarray:
        """``a`` as intp in [0, 255]; GT values outside raise, prediction values outside become 255."""
        if a.dtype == np.uint8:
            return a
        lo, hi = int(a.min()), int(a.max())
        if lo >= 0 and hi <= 255:
            return a
        if is_gt:
            bad = np.unique(a[(a < 0) | (a > 255)])
            raise self._bad_gt_error(where, bad)
        if self.out_of_range == "error":
            raise self._bad_pred_error(where, np.unique(a[(a < 0) | (a >= self.num_classes)]))
        return np.where((a < 0) | (a > 255), 255, a)  # 255 >= C: still out of range

    def _count_bytes(self, gt: np.ndarray, pred: np.ndarray, where: str) -> np.ndarray:
        """int64 [65536]: joint histogram of ``gt << 8 | pred``, after checking the image's values."""
        C = self.num_classes
        g = self._to_bytes(gt, True, where)
        p = self._to_bytes(pred, False, where)
        joint = _joint_histogram(g, p)
        j2 = joint.reshape(256, 256)  # [gt value, pred value]
        if j2[self._bad_rows].any():
            row_sums = j2.sum(axis=1)
            bad = np.zeros(256, dtype=bool)
            bad[self._bad_rows] = True
            raise self._bad_gt_error(where, np.flatnonzero((row_sums > 0) & bad))
        if self.out_of_range == "error" and j2[:, C:].any():  # anywhere, void pixels included (VOC devkit)
            raise self._bad_pred_error(where, np.flatnonzero(j2[:, C:].sum(axis=0)) + C)
        return joint

    def _count_general(self, gt: np.ndarray, pred: np.ndarray, where: str) -> np.ndarray:
        """Any class count or ignore value: boolean selection then one bincount over ``C * (C+1)`` bins."""
        C = self.num_classes
        g = gt.ravel()
        p = pred.ravel()
        keep = np.ones(g.shape, dtype=bool) if self.ignore_index is None else g != self.ignore_index
        bad_gt = keep & ((g < 0) | (g >= C))
        if bad_gt.any():
            raise self._bad_gt_error(where, np.unique(g[bad_gt]))
        out = (p < 0) | (p >= C)
        if out.any():
            if self.out_of_range == "error":
                raise self._bad_pred_error(where, np.unique(p[out]))
            p = np.where(out, 0 if self.out_of_range == "background" else C, p)
        code = g[keep].astype(np.int64) * (C + 1) + p[keep]
        return np.bincount(code, minlength=C * (C + 1)).reshape(C, C + 1).astype(np.int64)

    # ---------------------------------------------------------------- compute
    def compute(self) -> dict[str, Any]:
        """The metrics as fractions in [0, 1].

        Returns:
            dict with ``mIoU``, ``mIoU_nan0``, ``mAcc``, ``mAcc_nan0``, ``aAcc`` (floats, NaN when undefined),
            ``IoU`` and ``Acc`` (lists of C floats, NaN for undefined classes), ``num_images`` and
            ``num_pixels`` (counted, i.e. non-void, pixels), ``out_of_range`` (the policy).
        """
        C = self.num_classes
        counts = self._counts
        m = counts[:, :C]
        tp = np.diag(m)
        rows = counts.sum(axis=1)  # includes out-of-range predictions ('ignore')
        cols = m.sum(axis=0)
        iou = _ratio(tp, rows + cols - tp)
        acc = _ratio(tp, rows)
        total = int(rows.sum())
        return {
            "mIoU": _nanmean(iou),
            "mIoU_nan0": float(np.nan_to_num(iou, nan=0.0).mean()),
            "mAcc": _nanmean(acc),
            "mAcc_nan0": float(np.nan_to_num(acc, nan=0.0).mean()),
            "aAcc": float(tp.sum() / total) if total else float("nan"),
            "IoU": [float(v) for v in iou],
            "Acc": [float(v) for v in acc],
            "num_images": int(self.num_images),
            "num_pixels": total,
            "out_of_range": self.out_of_range,
        }

    def per_class(self, metrics: dict[str, Any] | None = None) -> dict[str, dict[str, float]]:
        """``{"IoU": {name: value}, "Acc": {name: value}}`` (names default to ``"0".."C-1"``)."""
        metrics = metrics if metrics is not None else self.compute()
        names = self.class_names or [str(i) for i in range(self.num_classes)]
        return {key: dict(zip(names, metrics[key])) for key in ("IoU", "Acc")}

    def gathered(self) -> "SemanticConfusion":
        """The sum of every process's confusion (``self`` when not distributed): DDP-exact metrics."""
        from mmengine.dist import all_gather_object, get_world_size

        if get_world_size() <= 1:
            return self
        total = SemanticConfusion(self.num_classes, self.ignore_index, self.out_of_range, self.class_names)
        for state in all_gather_object(self.state()):
            total.merge(state)
        return total

    def entry(self, split: str | None = None, protocol: str = "semantic", **extra: Any) -> dict[str, Any]:
        """This confusion as a result.json ``evaluations`` entry (metrics as fractions, per-class IoU/Acc)."""
        m = self.compute()
        out: dict[str, Any] = {"protocol": protocol, "task": "semantic"}
        if split is not None:
            out["split"] = split
        out.update({"out_of_range": self.out_of_range, "num_images": m["num_images"], "num_pixels": m["num_pixels"],
                    "metrics": {k: m[k] for k in SEMANTIC_METRICS}, "per_class": self.per_class(m)})
        out.update(extra)
        return out

    def __repr__(self) -> str:
        return (f"SemanticConfusion(num_classes={self.num_classes}, ignore_index={self.ignore_index}, "
                f"out_of_range={self.out_of_range!r}, num_images={self.num_images})")

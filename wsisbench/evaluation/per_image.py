"""Per-image sufficient statistics of an evaluation: its metrics recomputed on any multiset of images.

A paired bootstrap over images (:mod:`wsisbench.comparison`) needs each run's metric on thousands of resampled
image sets. The evaluator writes, next to an evaluation, a compact ``.npz`` from which every summary metric of
the entry is recomputed exactly:

- **semantic** (:class:`SemanticStats`): per image, for each class with a nonzero ground-truth row, prediction
  column or true positives, ``(class, tp, gt, pred)``; ``gt`` is the row sum as :class:`SemanticConfusion` counts
  it (out-of-range predictions under policy 'ignore' included), ``pred`` the column sum. Sums over any images
  give the confusion's ``tp``/``rows``/``cols`` and with them ``mIoU``, ``mIoU_nan0``, ``mAcc``, ``mAcc_nan0``,
  ``aAcc`` (bit-identical to the entry on all images).
- **instance, protocol coco** (:class:`DetectionStats`, ``protocol='coco'``): per image and category, the
  detections kept by maxDets (100) at area 'all' with their score and, per IoU threshold, whether each is a
  true positive (matched to a non-ignored GT) or ignored (matched to a crowd GT), and the number of non-ignored
  GTs. The matches are recomputed from faster-coco-eval's own IoU matrices (``ev.ious``, the exact numbers its
  C++ matcher used) with pycocotools' ``evaluateImg`` rules, because faster-coco-eval keeps ``evalImgs`` in C++
  and never exposes it. AP is pycocotools' ``accumulate``: detections of a category over the images sorted by
  score (stable, images in order), ``prec = tp / (tp + fp + spacing(1))``, the envelope, 101 recall
  thresholds. Metrics: ``AP``, ``AP50``, ``AP75``, ``AR100`` with COCO's thresholds, else ``mAP@<t>``
  (area 'all', maxDets 100). The area-range stats (``APs`` ...) are not kept.
- **instance, protocol voc / voc07** (``protocol='voc'|'voc07'``): per detection its true-positive flag at each
  threshold (chainercv matching, :func:`~wsisbench.evaluation.voc_instance.true_positives`), per image and
  class the number of GT instances; AP all-point / 11-point, ``mAP@<t>``.
- **ABO** (:class:`AboStats`): per GT instance its best IoU with any prediction of its image (float64);
  ``ABO`` (pooled) and ``ABO_class_mean``.

Two ways to recompute:

- :meth:`PerImageStats.metrics` (``images=None``: all images, else an index array, a multiset in any order):
  the evaluator's own arithmetic; on all images it equals the entry's metrics exactly (coco: to ~1e-16, the
  numbers come from faster-coco-eval's C++ accumulate). A multiset is evaluated as if its images were distinct
  images of a dataset, in the given order.
- :meth:`PerImageStats.compute` (``weights`` [B, I], image multiplicities): B replicates at once, vectorized
  (the bootstrap). Equal to :meth:`metrics` to ~1e-13 for any weights, except that tied scores among the copies
  of a repeated image are ordered copy by copy of each detection rather than image copy by image copy (this
  only matters for tied scores).

File (``np.savez_compressed``, no pickles; ``meta`` is a JSON string)::

    meta          {"schema": "wsisbench.per_image/1", "kind": "semantic"|"instance", "parts": [...], ...}
    images        [I] image names (the pairing key of a paired comparison)
    semantic:     sem_image, sem_class, sem_tp, sem_gt, sem_pred          (smallest unsigned int dtypes)
    detections:   det_image, det_class, det_score (float32 when that keeps every score comparison, else
                  float64), det_tp and det_ignored (bit t = IoU threshold t), pos_image, pos_class, pos_count
    abo:          abo_image, abo_class, abo_best (float64)
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from wsisbench.errors import DataError

from .average_precision import (
    COCO_RECALL_THRESHOLDS,
    VOC07_RECALL_THRESHOLDS,
    precision_recall,
    voc_ap_11_point,
    voc_ap_all_point,
)
from .semantic import SEMANTIC_METRICS, _nanmean, _ratio

PER_IMAGE_SCHEMA = "wsisbench.per_image/1"
#: the file name of an evaluation's statistics inside its stage folder: ``per_image_<evaluation>.npz``
FILE_PREFIX = "per_image_"
#: pycocotools' default IoU thresholds (as coco_mask.COCO_IOU_THRESHOLDS)
_COCO_THRS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)
#: elements per array of a vectorized chunk (replicates x runs): small arrays stay in the CPU caches
_CHUNK_ELEMENTS = 60_000


# ----------------------------------------------------------------------------- small helpers
def _uint(values: np.ndarray) -> np.ndarray:
    """``values`` (non-negative integers) in the smallest unsigned dtype that holds them."""
    values = np.asarray(values)
    top = int(values.max()) if values.size else 0
    for dt in (np.uint8, np.uint16, np.uint32, np.uint64):
        if top <= np.iinfo(dt).max:
            return values.astype(dt)
    raise ValueError(f"value {top} too large")


def compact_scores(scores: np.ndarray) -> np.ndarray:
    """float32 scores when rounding keeps every comparison between them (distinct stay distinct, in order),
    else the float64 scores unchanged: the AP computations only compare scores."""
    s = np.asarray(scores, dtype=np.float64)
    if s.size == 0:
        return s.astype(np.float32)
    u = np.unique(s)
    f = u.astype(np.float32)
    if np.all(np.isfinite(f) == np.isfinite(u)) and np.all(np.diff(f) > 0):
        return s.astype(np.float32)
    return s


def _bits_dtype(num_thresholds: int):
    for dt in (np.uint8, np.uint16, np.uint32, np.uint64):
        if num_thresholds <= np.iinfo(dt).bits:
            return dt
    raise ValueError(f"at most 64 IoU thresholds can be stored, got {num_thresholds}")


def pack_bits(flags: np.ndarray) -> np.ndarray:
    """bool [N, T] -> unsigned [N] with bit t = ``flags[:, t]``."""
    flags = np.asarray(flags, dtype=bool)
    T = flags.shape[1]
    dt = _bits_dtype(T)
    out = np.zeros(flags.shape[0], dtype=dt)
    for t in range(T):
        out |= flags[:, t].astype(dt) << dt(t)
    return out


def unpack_bits(bits: np.ndarray, num_thresholds: int) -> np.ndarray:
    """unsigned [N] -> bool [N, T] (inverse of :func:`pack_bits`)."""
    bits = np.asarray(bits)
    dt = bits.dtype.type
    return np.stack([(bits >> dt(t)) & dt(1) for t in range(num_thresholds)], axis=1).astype(bool) \
        if num_thresholds else np.zeros((bits.size, 0), dtype=bool)


_TINY = 1e-300


def _count_at_most(thrs: np.ndarray, x: np.ndarray) -> np.ndarray:
    """float64 like ``x``: how many of the thresholds ``thrs`` are <= each value of ``x`` (in [0, 1]), i.e.
    ``np.searchsorted(thrs, x, 'right')`` with the same float comparisons. COCO's 101 and VOC07's 11 recall
    thresholds are exactly ``k * step`` (numpy's linspace / arange), so the count is found arithmetically:
    it is ``g``, ``g + 1`` or ``g + 2`` for ``g = floor(x / step)``."""
    steps = thrs.size - 1
    step = 1.0 / steps if steps > 0 else 0.0
    if steps <= 0 or not np.array_equal(thrs, np.arange(thrs.size) * step):
        return np.searchsorted(thrs, x, side="right").astype(np.float64)
    g = np.floor(x * steps)
    np.clip(g, 0, steps, out=g)
    count = (g * step <= x).astype(np.float64)
    count += g
    g += 1
    g *= step
    count += g <= x
    return count


def _as_weights(weights: np.ndarray, num_images: int) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 1:
        w = w[None, :]
    if w.ndim != 2 or w.shape[1] != num_images:
        raise ValueError(f"weights must be [B, {num_images}], got shape {w.shape}")
    return w


def _dense(image: np.ndarray, cls: np.ndarray, values: np.ndarray, num_images: int, num_classes: int) -> np.ndarray:
    """float64 [I, C] from sparse (image, class, value) triples (summed)."""
    out = np.zeros((num_images, num_classes), dtype=np.float64)
    np.add.at(out, (image.astype(np.intp), cls.astype(np.intp)), values.astype(np.float64))
    return out


def _image_selection(images: Sequence[int] | np.ndarray | None, num_images: int) -> np.ndarray | None:
    if images is None:
        return None
    sel = np.asarray(images, dtype=np.intp).reshape(-1)
    if sel.size and (sel.min() < 0 or sel.max() >= num_images):
        raise ValueError(f"image indices must lie in [0, {num_images - 1}]")
    return sel


def _masked_mean(values: np.ndarray, defined: np.ndarray, axis: int = -1) -> np.ndarray:
    """Mean of ``values`` where ``defined`` along ``axis``; NaN where nothing is defined."""
    n = defined.sum(axis=axis)
    s = np.where(defined, values, 0.0).sum(axis=axis)
    out = np.full(n.shape, np.nan)
    np.divide(s, n, out=out, where=n > 0)
    return out


# ----------------------------------------------------------------------------- semantic
@dataclass
class SemanticStats:
    """Per-image confusion sums (see the module docstring); arrays aligned, one row per (image, class)."""

    num_images: int
    num_classes: int
    image: np.ndarray
    cls: np.ndarray
    tp: np.ndarray
    gt: np.ndarray
    pred: np.ndarray
    _cache: dict = field(default_factory=dict, repr=False)

    metric_names = SEMANTIC_METRICS
    prefix = "sem"

    @staticmethod
    def image_row(counts: np.ndarray, num_classes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """One image's ``(classes, tp, gt, pred)`` from its ``SemanticConfusion.image_counts`` [C, C+1]: the
        classes with a nonzero true-positive count, row or column."""
        C = int(num_classes)
        c = np.asarray(counts, dtype=np.int64)
        tp = np.diag(c[:, :C])
        rows = c.sum(axis=1)
        cols = c[:, :C].sum(axis=0)
        nz = np.flatnonzero((tp != 0) | (rows != 0) | (cols != 0))
        return nz, tp[nz], rows[nz], cols[nz]

    @classmethod
    def from_rows(cls, rows: Sequence[tuple[np.ndarray, ...]], num_classes: int) -> "SemanticStats":
        """From :meth:`image_row` results, one per image in image order."""
        image = [np.full(r[0].size, i, dtype=np.int64) for i, r in enumerate(rows)]

        def cat(parts):
            return _uint(np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64))

        return cls(len(rows), int(num_classes), cat(image), *(cat([r[j] for r in rows]) for j in range(4)))

    @classmethod
    def from_counts(cls, counts: Sequence[np.ndarray], num_classes: int) -> "SemanticStats":
        """From per-image ``SemanticConfusion.image_counts`` arrays (int64 [C, C+1]), in image order."""
        return cls.from_rows([cls.image_row(c, num_classes) for c in counts], num_classes)

    # ---------------------------------------------------------------- io
    def arrays(self) -> dict[str, np.ndarray]:
        return {"sem_image": self.image, "sem_class": self.cls, "sem_tp": self.tp, "sem_gt": self.gt,
                "sem_pred": self.pred}

    def meta(self) -> dict:
        return {"type": "semantic", "num_classes": self.num_classes}

    @classmethod
    def from_arrays(cls, meta: dict, z, num_images: int) -> "SemanticStats":
        return cls(num_images, int(meta["num_classes"]), z["sem_image"], z["sem_class"], z["sem_tp"], z["sem_gt"],
                   z["sem_pred"])

    # ---------------------------------------------------------------- exact
    def totals(self, images: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """int64 [C] ``tp``, ``rows``, ``cols`` summed over ``images`` (indices, repeats count; None = all)."""
        C = self.num_classes
        sel = _image_selection(images, self.num_images)
        mult = np.ones(self.num_images, dtype=np.int64) if sel is None else \
            np.bincount(sel, minlength=self.num_images).astype(np.int64)
        w = mult[self.image.astype(np.intp)]
        cls = self.cls.astype(np.intp)
        out = []
        for v in (self.tp, self.gt, self.pred):
            acc = np.zeros(C, dtype=np.int64)
            np.add.at(acc, cls, v.astype(np.int64) * w)
            out.append(acc)
        return out[0], out[1], out[2]

    def metrics(self, images: Sequence[int] | None = None) -> dict[str, float]:
        """The entry's metrics on ``images`` with :meth:`SemanticConfusion.compute`'s arithmetic."""
        tp, rows, cols = self.totals(images)
        iou = _ratio(tp, rows + cols - tp)
        acc = _ratio(tp, rows)
        total = int(rows.sum())
        return {"mIoU": _nanmean(iou), "mIoU_nan0": float(np.nan_to_num(iou, nan=0.0).mean()),
                "mAcc": _nanmean(acc), "mAcc_nan0": float(np.nan_to_num(acc, nan=0.0).mean()),
                "aAcc": float(tp.sum() / total) if total else float("nan")}

    # ---------------------------------------------------------------- vectorized
    def compute(self, metric: str, weights: np.ndarray) -> np.ndarray:
        """float64 [B]: ``metric`` for each row of image multiplicities ``weights`` [B, I]."""
        if metric not in self.metric_names:
            raise KeyError(metric)
        W = _as_weights(weights, self.num_images)
        if "dense" not in self._cache:
            args = (self.image, self.cls)
            self._cache["dense"] = tuple(_dense(*args, v, self.num_images, self.num_classes)
                                         for v in (self.tp, self.gt, self.pred))
        dtp, dgt, dpred = self._cache["dense"]
        tp, rows, cols = W @ dtp, W @ dgt, W @ dpred
        if metric == "aAcc":
            total = rows.sum(axis=1)
            out = np.full(W.shape[0], np.nan)
            np.divide(tp.sum(axis=1), total, out=out, where=total > 0)
            return out
        if metric.startswith("mIoU"):
            num, den = tp, rows + cols - tp
        else:
            num, den = tp, rows
        defined = den > 0
        ratio = np.zeros_like(num)
        np.divide(num, den, out=ratio, where=defined)
        if metric.endswith("_nan0"):
            return ratio.mean(axis=1)
        return _masked_mean(ratio, defined, axis=1)


# ----------------------------------------------------------------------------- detections (coco / voc)
def _threshold_key(t: float) -> str:
    return f"{float(t):g}"


@dataclass
class DetectionStats:
    """Scored detections with per-threshold outcomes, and positives per image and class.

    Attributes:
        protocol: ``coco`` (101-point AP, tp + fp + spacing; ignored detections), ``voc`` (all-point) or
            ``voc07`` (11-point).
        iou_thrs: float64 [T].
        num_classes: K (the evaluated categories, in the entry's order).
        det_image, det_class: [N] image index and class index (0..K-1) of each detection, in the order the
            evaluator concatenates them (coco: images in order, each image's detections by score; voc: the
            predictions' order).
        det_score: [N] float32 or float64.
        det_tp, det_ignored: bool [N, T] (``det_ignored`` all False for voc).
        pos_image, pos_class, pos_count: positives (non-ignored GT) per (image, class), nonzero ones only.
    """

    protocol: str
    iou_thrs: np.ndarray
    num_images: int
    num_classes: int
    det_image: np.ndarray
    det_class: np.ndarray
    det_score: np.ndarray
    det_tp: np.ndarray
    det_ignored: np.ndarray
    pos_image: np.ndarray
    pos_class: np.ndarray
    pos_count: np.ndarray
    _cache: dict = field(default_factory=dict, repr=False)

    prefix = "det"

    def __post_init__(self):
        if self.protocol not in ("coco", "voc", "voc07"):
            raise ValueError(f"unknown detection protocol {self.protocol!r}")
        self.iou_thrs = np.asarray(self.iou_thrs, dtype=np.float64)
        T = self.iou_thrs.size
        self.det_tp = np.asarray(self.det_tp, dtype=bool).reshape(-1, T)
        self.det_ignored = np.asarray(self.det_ignored, dtype=bool).reshape(-1, T)

    @property
    def coco_default(self) -> bool:
        return self.protocol == "coco" and np.array_equal(self.iou_thrs, _COCO_THRS)

    @property
    def metric_names(self) -> tuple[str, ...]:
        if self.coco_default:
            return ("AP", "AP50", "AP75", "AR100")
        return tuple(f"mAP@{_threshold_key(t)}" for t in self.iou_thrs)

    # ---------------------------------------------------------------- io
    def arrays(self) -> dict[str, np.ndarray]:
        return {"det_image": _uint(self.det_image), "det_class": _uint(self.det_class), "det_score": self.det_score,
                "det_tp": pack_bits(self.det_tp), "det_ignored": pack_bits(self.det_ignored),
                "pos_image": _uint(self.pos_image), "pos_class": _uint(self.pos_class),
                "pos_count": _uint(self.pos_count)}

    def meta(self) -> dict:
        return {"type": "detections", "protocol": self.protocol, "iou_thrs": self.iou_thrs.tolist(),
                "num_classes": self.num_classes}

    @classmethod
    def from_arrays(cls, meta: dict, z, num_images: int) -> "DetectionStats":
        T = len(meta["iou_thrs"])
        return cls(meta["protocol"], np.asarray(meta["iou_thrs"], dtype=np.float64), num_images,
                   int(meta["num_classes"]), z["det_image"], z["det_class"], z["det_score"],
                   unpack_bits(z["det_tp"], T), unpack_bits(z["det_ignored"], T), z["pos_image"], z["pos_class"],
                   z["pos_count"])

    # ---------------------------------------------------------------- exact
    def _selected(self, sel: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Detection indices of the multiset ``sel`` (images in the given order, each image's detections in
        stored order) and the positives per class [K]."""
        K = self.num_classes
        if sel is None:
            idx = np.arange(self.det_image.size)
            npos = np.zeros(K, dtype=np.int64)
            np.add.at(npos, self.pos_class.astype(np.intp), self.pos_count.astype(np.int64))
            return idx, npos
        img = self.det_image.astype(np.intp)
        order = np.argsort(img, kind="stable")
        starts = np.searchsorted(img[order], np.arange(self.num_images), "left")
        ends = np.searchsorted(img[order], np.arange(self.num_images), "right")
        idx = np.concatenate([order[starts[i]:ends[i]] for i in sel]) if sel.size else np.zeros(0, dtype=np.intp)
        mult = np.bincount(sel, minlength=self.num_images).astype(np.int64)
        npos = np.zeros(K, dtype=np.int64)
        np.add.at(npos, self.pos_class.astype(np.intp), self.pos_count.astype(np.int64)
                  * mult[self.pos_image.astype(np.intp)])
        return idx, npos

    def metrics(self, images: Sequence[int] | None = None) -> dict[str, float]:
        """The entry's metrics on ``images`` with the evaluator's own arithmetic (see the module docstring)."""
        sel = _image_selection(images, self.num_images)
        idx, npos = self._selected(sel)
        if self.protocol == "coco":
            return self._coco_metrics(idx, npos)
        return self._voc_metrics(idx, npos)

    def _coco_metrics(self, idx: np.ndarray, npos: np.ndarray) -> dict[str, float]:
        """pycocotools ``accumulate`` (area all, maxDets 100) and ``summarize``'s means."""
        T, K, R = self.iou_thrs.size, self.num_classes, COCO_RECALL_THRESHOLDS.size
        precision = -np.ones((T, R, K))
        recall = -np.ones((T, K))
        cls = self.det_class[idx].astype(np.intp)
        for k in range(K):
            if npos[k] == 0:
                continue
            sel = idx[cls == k]
            scores = self.det_score[sel].astype(np.float64)
            inds = np.argsort(-scores, kind="mergesort")
            tps = self.det_tp[sel][inds].T  # [T, D]
            fps = np.logical_and(~self.det_tp[sel][inds], ~self.det_ignored[sel][inds]).T
            tp_sum = np.cumsum(tps, axis=1).astype(dtype=float)
            fp_sum = np.cumsum(fps, axis=1).astype(dtype=float)
            for t, (tp, fp) in enumerate(zip(tp_sum, fp_sum)):
                nd = len(tp)
                rc = tp / npos[k]
                pr = tp / (fp + tp + np.spacing(1))
                recall[t, k] = rc[-1] if nd else 0
                if nd:
                    pr = np.maximum.accumulate(pr[::-1])[::-1]
                q = np.zeros(R)
                inds_r = np.searchsorted(rc, COCO_RECALL_THRESHOLDS, side="left")
                ok = inds_r < nd
                q[ok] = pr[inds_r[ok]]
                precision[t, :, k] = q

        def mean_defined(s: np.ndarray) -> float:
            s = s[s > -1]
            return float(np.mean(s)) if s.size else float("nan")

        if self.coco_default:
            return {"AP": mean_defined(precision), "AP50": mean_defined(precision[np.where(self.iou_thrs == 0.5)[0]]),
                    "AP75": mean_defined(precision[np.where(self.iou_thrs == 0.75)[0]]),
                    "AR100": mean_defined(recall)}
        return {f"mAP@{_threshold_key(t)}": mean_defined(precision[i]) for i, t in enumerate(self.iou_thrs)}

    def _voc_metrics(self, idx: np.ndarray, npos: np.ndarray) -> dict[str, float]:
        """:func:`~wsisbench.evaluation.voc_instance.evaluate_voc_instance`'s arithmetic."""
        ap_fn = voc_ap_all_point if self.protocol == "voc" else voc_ap_11_point
        cls = self.det_class[idx].astype(np.intp)
        by_class = [idx[cls == k] for k in range(self.num_classes)]
        out = {}
        for t, thr in enumerate(self.iou_thrs):
            aps = []
            for k in range(self.num_classes):
                if npos[k] == 0:
                    aps.append(float("nan"))
                    continue
                sel = by_class[k]
                prec, rec = precision_recall(self.det_score[sel].astype(np.float64), self.det_tp[sel, t], int(npos[k]))
                aps.append(ap_fn(prec, rec))
            values = np.array(aps, dtype=np.float64)
            finite = values[~np.isnan(values)]
            out[f"mAP@{_threshold_key(thr)}"] = float(finite.mean()) if finite.size else float("nan")
        return out

    # ---------------------------------------------------------------- vectorized
    def _ranked(self) -> dict:
        """Static structure of the vectorized AP (built once).

        Detections are ranked by (class, descending score), ties in stored order. Only true positives
        matter: recall changes only there, and a false positive's precision never exceeds that of the point
        before it, so the envelope at a true positive is the running maximum over the later true positives
        of its class. The (threshold, true positive) entries form segments (threshold, class) and, within
        them, runs of adjacent ranks (no other detection between them): precision only grows along a run, so
        a run is evaluated once, at its end, and the recall thresholds it owns telescope.

        Per replicate only weighted counts at run ends are needed: true positives, ignored detections and all
        detections ranked up to there. Each is a sparse image-incidence matrix (rows: runs, or blocks of
        ranks between run ends) times the image weights, then a cumulative sum along the runs.
        """
        if "ranked" in self._cache:
            return self._cache["ranked"]
        from scipy import sparse

        N, K, n_img = self.det_image.size, self.num_classes, self.num_images
        score = self.det_score.astype(np.float64)
        o = np.argsort(-score, kind="stable")
        o = o[np.argsort(self.det_class[o].astype(np.intp), kind="stable")]
        img = self.det_image[o].astype(np.intp)
        cls = self.det_class[o].astype(np.intp)
        tp = self.det_tp[o]
        ig = self.det_ignored[o]
        t_idx, pos = np.nonzero(tp.T)  # entries ordered by threshold, then rank
        L = pos.size
        seg = t_idx * K + cls[pos]
        brk = np.r_[True, (seg[1:] != seg[:-1]) | (pos[1:] != pos[:-1] + 1)] if L else np.zeros(0, dtype=bool)
        run_of_entry = np.cumsum(brk) - 1
        run_first = np.flatnonzero(brk)
        R = run_first.size
        run_last = np.r_[run_first[1:], L] - 1 if L else run_first
        run_seg = seg[run_first]
        starts = np.flatnonzero(np.r_[True, run_seg[1:] != run_seg[:-1]]) if L else run_first
        ends = np.r_[starts[1:], R] - 1 if L else starts  # last run of each segment
        lengths = np.diff(np.r_[starts, R])
        seg_rank = np.repeat(np.arange(starts.size), lengths)
        run_pos = pos[run_last]
        run_t = run_seg // K if L else run_seg
        run_cls = run_seg % K if L else run_seg

        def incidence(rows: np.ndarray, cols: np.ndarray, n_rows: int):
            return sparse.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n_rows, n_img))

        # all detections: blocks of ranks ending at the distinct run-end ranks (a class restarts the count)
        P = np.unique(run_pos)
        blk = np.searchsorted(P, np.arange(N), "left")  # block of each rank (P.size: after the last run end)
        keep = blk < P.size
        keep[keep] &= cls[P[blk[keep]]] == cls[keep]  # ranks after their class's last run end never count
        p_cls = cls[P]
        p_first = np.flatnonzero(np.r_[True, p_cls[1:] != p_cls[:-1]]) if P.size else P
        p_base = np.repeat(p_first, np.diff(np.r_[p_first, P.size]))  # first block of each block's class
        r = {"L": L, "R": R, "starts": starts, "ends": ends, "seg_ids": run_seg[starts], "run_cls": run_cls,
             "run_base": np.repeat(starts, lengths), "first": np.zeros(R, dtype=bool),
             "offset": 2.0 * (starts.size - 1 - seg_rank),
             "tp_m": incidence(run_of_entry, img[pos], R),
             "all_m": incidence(blk[keep], img[keep], P.size),
             "run_block": np.searchsorted(P, run_pos), "block_base": p_base}
        r["first"][starts] = True
        if ig.any():
            g_t, g_pos = np.nonzero(ig.T)
            run_key = run_t * N + run_pos  # sorted (runs are ordered by threshold, class, rank)
            g_run = np.searchsorted(run_key, g_t * N + g_pos, "left")
            ok = g_run < R
            ok[ok] &= (run_t[g_run[ok]] == g_t[ok]) & (run_cls[g_run[ok]] == cls[g_pos[ok]])
            r["ig_m"] = incidence(g_run[ok], img[g_pos[ok]], R)
        pos_dense = np.zeros((n_img, K))
        np.add.at(pos_dense, (self.pos_image.astype(np.intp), self.pos_class.astype(np.intp)),
                  self.pos_count.astype(np.float64))
        r["pos_dense"] = pos_dense
        self._cache["ranked"] = r
        return r

    @staticmethod
    def _segment_cumsum(m, WT: np.ndarray, base: np.ndarray) -> np.ndarray:
        """[rows, B]: cumulative sums of ``m @ WT`` along the rows, restarted at each row's ``base`` row."""
        c = np.zeros((m.shape[0] + 1, WT.shape[1]))
        np.cumsum(m @ WT, axis=0, out=c[1:])
        out = c[1:]
        out -= c[base]
        return out

    def class_ap(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Vectorized per-threshold, per-class AP for image multiplicities ``weights`` [B, I].

        Returns ``ap`` [B, T, K] (coco: the mean of the 101 interpolated precisions), ``recall`` [B, T, K]
        (final recall) and ``npos`` [B, K] (positives; classes with 0 are undefined).
        """
        W = _as_weights(weights, self.num_images)
        r = self._ranked()
        B, T, K = W.shape[0], self.iou_thrs.size, self.num_classes
        npos = W @ r["pos_dense"]
        ap = np.zeros((T * K, B))
        tp_total = np.zeros((T * K, B))
        if r["L"] == 0:
            return ap.T.reshape(B, T, K), tp_total.T.reshape(B, T, K), npos
        WT = np.ascontiguousarray(W.T)  # replicates along the contiguous axis
        tp = self._segment_cumsum(r["tp_m"], WT, r["run_base"])  # true positives up to each run end
        fp = self._segment_cumsum(r["all_m"], WT, r["block_base"])[r["run_block"]]  # all detections up to there
        fp -= tp
        if "ig_m" in r:
            fp -= self._segment_cumsum(r["ig_m"], WT, r["run_base"])
        den = fp
        den += tp
        # a zero denominator comes with a zero numerator (no true positive weight yet): 0, as the evaluators
        if self.protocol == "coco":
            den += np.spacing(1)
        else:
            np.maximum(den, _TINY, out=den)
        pr = np.divide(tp, den, out=den)
        pr += r["offset"][:, None]
        env = np.maximum.accumulate(pr[::-1], axis=0)[::-1]
        env -= r["offset"][:, None]
        del pr, den
        p = npos.T[r["run_cls"]]
        np.maximum(p, _TINY, out=p)
        rc = np.divide(tp, p, out=p)
        if self.protocol == "voc":
            prev = np.empty_like(rc)
            prev[1:] = rc[:-1]
            prev[r["first"]] = 0.0
            rc -= prev
            env *= rc
            scale = 1.0
        else:
            thrs = COCO_RECALL_THRESHOLDS if self.protocol == "coco" else VOC07_RECALL_THRESHOLDS
            n = _count_at_most(thrs, rc)
            prev = np.empty_like(n)
            prev[1:] = n[:-1]
            prev[r["first"]] = 0.0
            n -= prev
            env *= n
            scale = 1.0 / thrs.size
        ap[r["seg_ids"]] = np.add.reduceat(env, r["starts"], axis=0) * scale
        tp_total[r["seg_ids"]] = tp[r["ends"]]
        ap = ap.T.reshape(B, T, K)
        tp_total = tp_total.T.reshape(B, T, K)
        recall = np.zeros_like(tp_total)
        pk = np.broadcast_to(npos[:, None, :], (B, T, K))
        np.divide(tp_total, pk, out=recall, where=pk > 0)
        return ap, recall, npos

    def compute(self, metric: str, weights: np.ndarray) -> np.ndarray:
        """float64 [B]: ``metric`` for each row of image multiplicities ``weights`` [B, I]."""
        if metric not in self.metric_names:
            raise KeyError(metric)
        W = _as_weights(weights, self.num_images)
        r = self._ranked()
        chunk = max(1, min(256, _CHUNK_ELEMENTS // max(r["R"], 1)))
        out = np.empty(W.shape[0])
        for s in range(0, W.shape[0], chunk):
            out[s:s + chunk] = self._compute_chunk(metric, W[s:s + chunk])
        return out

    def _compute_chunk(self, metric: str, W: np.ndarray) -> np.ndarray:
        ap, recall, npos = self.class_ap(W)
        defined = npos > 0  # [B, K]
        T = self.iou_thrs.size
        if metric == "AR100":
            return _masked_mean(recall.reshape(W.shape[0], -1), np.repeat(defined[:, None, :], T, 1).reshape(
                W.shape[0], -1), axis=1)
        if metric == "AP":
            t_sel = np.arange(T)
        elif metric in ("AP50", "AP75"):
            t_sel = np.where(self.iou_thrs == (0.5 if metric == "AP50" else 0.75))[0]
        else:
            key = metric.split("@", 1)[1]
            t_sel = np.array([i for i, t in enumerate(self.iou_thrs) if _threshold_key(t) == key])
        vals = ap[:, t_sel, :].reshape(W.shape[0], -1)
        mask = np.repeat(defined[:, None, :], t_sel.size, 1).reshape(W.shape[0], -1)
        return _masked_mean(vals, mask, axis=1)


# ----------------------------------------------------------------------------- ABO
@dataclass
class AboStats:
    """Best IoU of each GT instance with any prediction of its image (GT in the evaluator's order)."""

    num_images: int
    num_classes: int
    image: np.ndarray
    cls: np.ndarray
    best: np.ndarray
    _cache: dict = field(default_factory=dict, repr=False)

    metric_names = ("ABO", "ABO_class_mean")
    prefix = "abo"

    def arrays(self) -> dict[str, np.ndarray]:
        return {"abo_image": _uint(self.image), "abo_class": _uint(self.cls),
                "abo_best": np.asarray(self.best, dtype=np.float64)}

    def meta(self) -> dict:
        return {"type": "abo", "num_classes": self.num_classes}

    @classmethod
    def from_arrays(cls, meta: dict, z, num_images: int) -> "AboStats":
        return cls(num_images, int(meta["num_classes"]), z["abo_image"], z["abo_class"], z["abo_best"])

    def metrics(self, images: Sequence[int] | None = None) -> dict[str, float]:
        """:func:`~wsisbench.evaluation.abo.average_best_overlap`'s arithmetic on ``images``."""
        sel = _image_selection(images, self.num_images)
        if sel is None:
            idx = np.arange(self.best.size)
        else:
            img = self.image.astype(np.intp)
            idx = np.concatenate([np.flatnonzero(img == i) for i in sel]) if sel.size else np.zeros(0, np.intp)
        best = np.asarray(self.best, dtype=np.float64)[idx]
        cls = self.cls.astype(np.intp)[idx]
        per_class = []
        for c in range(self.num_classes):
            v = best[cls == c]
            per_class.append(float(v.mean()) if v.size else float("nan"))
        class_means = np.array([v for v in per_class if not np.isnan(v)])
        return {"ABO": float(best.mean()) if best.size else float("nan"),
                "ABO_class_mean": float(class_means.mean()) if class_means.size else float("nan")}

    def compute(self, metric: str, weights: np.ndarray) -> np.ndarray:
        if metric not in self.metric_names:
            raise KeyError(metric)
        W = _as_weights(weights, self.num_images)
        if "dense" not in self._cache:
            ones = np.ones(self.best.size)
            self._cache["dense"] = (_dense(self.image, self.cls, np.asarray(self.best, np.float64), self.num_images,
                                           self.num_classes),
                                    _dense(self.image, self.cls, ones, self.num_images, self.num_classes))
        sums, counts = self._cache["dense"]
        s, n = W @ sums, W @ counts  # [B, K]
        if metric == "ABO":
            tot = n.sum(axis=1)
            out = np.full(W.shape[0], np.nan)
            np.divide(s.sum(axis=1), tot, out=out, where=tot > 0)
            return out
        means = np.zeros_like(s)
        np.divide(s, n, out=means, where=n > 0)
        return _masked_mean(means, n > 0, axis=1)


_PART_TYPES = {"semantic": SemanticStats, "detections": DetectionStats, "abo": AboStats}


# ----------------------------------------------------------------------------- container
@dataclass
class PerImageStats:
    """The per-image statistics of one evaluation: the image names and one or more parts (semantic, or
    detections and/or ABO for an instance evaluation)."""

    kind: str  # "semantic" | "instance"
    images: list[str]
    parts: list[Any]
    info: dict = field(default_factory=dict)  # protocol, class names, ... (descriptive)

    def __post_init__(self):
        for p in self.parts:
            if p.num_images != len(self.images):
                raise ValueError(f"a {p.meta()['type']} part has {p.num_images} images, the list {len(self.images)}")

    @property
    def metric_names(self) -> list[str]:
        return [m for p in self.parts for m in p.metric_names]

    def _part(self, metric: str):
        for p in self.parts:
            if metric in p.metric_names:
                return p
        raise DataError(f"metric {metric!r} cannot be recomputed from these per-image statistics (they give "
                        f"{', '.join(self.metric_names) or 'nothing'})")

    def metrics(self, images: Sequence[int] | None = None) -> dict[str, float]:
        """Every recomputable metric on ``images`` (indices into :attr:`images`, a multiset; None = all)."""
        out: dict[str, float] = {}
        for p in self.parts:
            out.update(p.metrics(images))
        return out

    def compute(self, metric: str, weights: np.ndarray) -> np.ndarray:
        """float64 [B]: ``metric`` for each row of image multiplicities ``weights`` [B, I] (vectorized)."""
        return self._part(metric).compute(metric, weights)

    def reorder(self, names: Sequence[str]) -> np.ndarray:
        """Indices into :attr:`images` of ``names`` (the same set), to align two runs' images."""
        index = {n: i for i, n in enumerate(self.images)}
        if len(index) != len(self.images):
            raise DataError("the per-image statistics list an image twice")
        missing = [n for n in names if n not in index]
        if missing or len(names) != len(self.images):
            raise DataError(f"image lists differ ({len(self.images)} vs {len(names)} images; e.g. "
                            f"{(missing or sorted(set(self.images) - set(names)))[:3]})")
        return np.array([index[n] for n in names], dtype=np.intp)

    # ---------------------------------------------------------------- io
    def save(self, path: str | os.PathLike) -> Path:
        """Write the compressed ``.npz`` (atomically)."""
        import io

        from wsisbench.utils.atomic import atomic_write_bytes

        arrays: dict[str, np.ndarray] = {"images": np.asarray(self.images, dtype=str)}
        for p in self.parts:
            arrays.update(p.arrays())
        meta = {"schema": PER_IMAGE_SCHEMA, "kind": self.kind, "parts": [p.meta() for p in self.parts],
                "num_images": len(self.images), **self.info}
        arrays["meta"] = np.asarray(json.dumps(meta, sort_keys=True))
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        return atomic_write_bytes(path, buf.getvalue())

    @classmethod
    def load(cls, path: str | os.PathLike) -> "PerImageStats":
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                if meta.get("schema") != PER_IMAGE_SCHEMA:
                    raise DataError(f"{path}: schema {meta.get('schema')!r}, expected {PER_IMAGE_SCHEMA!r}")
                images = [str(s) for s in z["images"]]
                parts = [_PART_TYPES[m["type"]].from_arrays(m, z, len(images)) for m in meta["parts"]]
        except (OSError, ValueError, KeyError) as e:
            raise DataError(f"{path}: cannot read per-image statistics ({e})") from e
        info = {k: v for k, v in meta.items() if k not in ("schema", "kind", "parts", "num_images")}
        return cls(meta["kind"], images, parts, info)


def load_per_image(path: str | os.PathLike) -> PerImageStats:
    return PerImageStats.load(path)


# ----------------------------------------------------------------------------- builders
def semantic_stats(names: Sequence[str], rows: Sequence[tuple[np.ndarray, ...]], num_classes: int,
                   class_names: Sequence[str] | None = None, out_of_range: str | None = None) -> PerImageStats:
    """Statistics of a semantic evaluation from per-image :meth:`SemanticStats.image_row` tuples."""
    info: dict = {"protocol": "semantic"}
    if class_names is not None:
        info["class_names"] = list(class_names)
    if out_of_range is not None:
        info["out_of_range"] = out_of_range
    return PerImageStats("semantic", [str(n) for n in names], [SemanticStats.from_rows(rows, num_classes)], info)


def _image_names(gt) -> list[str]:
    names = [str(im.name) for im in gt.images]
    if len(set(names)) != len(names):
        names = [str(im.id) for im in gt.images]
    return names


def coco_detection_stats(ev, gt) -> DetectionStats:
    """:class:`DetectionStats` of an evaluated (``evaluate()`` called) faster-coco-eval ``COCOeval_faster``.

    Per (image, category) it takes the GT and detections faster-coco-eval prepared (``gt_dataset`` /
    ``dt_dataset``) and its IoU matrix (``ev.ious``: detections sorted by score and cut at maxDets[-1], GT in
    dataset order), and replays pycocotools' ``evaluateImg`` at area 'all' and maxDets[-1].
    """
    p = ev.params
    img_ids = [int(i) for i in p.imgIds]
    cat_ids = [int(c) for c in p.catIds]
    thrs = np.asarray(p.iouThrs, dtype=np.float64)
    T = thrs.size
    max_det = int(p.maxDets[-1])
    lbls = list(getattr(p, "areaRngLbl", ["all"]))
    a_rng = p.areaRng[lbls.index("all")] if "all" in lbls else [0.0, 1e10]
    position = {im.id: i for i, im in enumerate(gt.images)}
    gts = ev.gt_dataset.get_instances(img_ids, cat_ids, True)
    dts = ev.dt_dataset.get_instances(img_ids, cat_ids, True)
    det_image, det_class, det_score, det_tp, det_ig = [], [], [], [], []
    pos_image, pos_class, pos_count = [], [], []
    for i, img_id in enumerate(img_ids):
        row = position[img_id]
        for k, cat_id in enumerate(cat_ids):
            g_list, d_list = gts[i][k], dts[i][k]
            if not g_list and not d_list:
                continue
            tp, ig, npig, scores = _evaluate_img(g_list, d_list, ev.ious.get((img_id, cat_id), []), thrs, a_rng,
                                                 max_det)
            if npig:
                pos_image.append(row)
                pos_class.append(k)
                pos_count.append(npig)
            if scores.size:
                det_image.append(np.full(scores.size, row))
                det_class.append(np.full(scores.size, k))
                det_score.append(scores)
                det_tp.append(tp)
                det_ig.append(ig)

    def cat(parts, shape=(0,), dtype=np.int64):
        return np.concatenate(parts) if parts else np.zeros(shape, dtype=dtype)

    return DetectionStats("coco", thrs, len(gt.images), len(cat_ids), cat(det_image), cat(det_class),
                          compact_scores(cat(det_score, dtype=np.float64)), cat(det_tp, (0, T), bool),
                          cat(det_ig, (0, T), bool), np.asarray(pos_image, dtype=np.int64),
                          np.asarray(pos_class, dtype=np.int64), np.asarray(pos_count, dtype=np.int64))


def _evaluate_img(gt: list[dict], dt: list[dict], ious, thrs: np.ndarray, a_rng, max_det: int):
    """pycocotools ``COCOeval.evaluateImg`` for one (image, category): the kept detections' true-positive
    and ignored flags [D, T], the number of non-ignored GT, and the kept detections' scores [D]."""
    T = thrs.size
    g_ignore = [1 if (g.get("ignore", 0) or g["area"] < a_rng[0] or g["area"] > a_rng[1]) else 0 for g in gt]
    gtind = np.argsort(g_ignore, kind="mergesort")
    gt = [gt[i] for i in gtind]
    gt_ig = np.array([g_ignore[i] for i in gtind], dtype=np.int64)
    dtind = np.argsort([-d["score"] for d in dt], kind="mergesort")
    dt = [dt[i] for i in dtind[0:max_det]]
    iscrowd = [int(o.get("iscrowd", 0)) for o in gt]
    ious = np.asarray(ious, dtype=np.float64)
    if ious.size:
        ious = ious[:, gtind]
    G, D = len(gt), len(dt)
    gtm = np.zeros((T, G), dtype=bool)
    dtm = np.zeros((T, D), dtype=bool)
    dt_ig = np.zeros((T, D), dtype=bool)
    if ious.size:
        for tind, t in enumerate(thrs):
            for dind in range(D):
                iou = min([t, 1 - 1e-10])
                m = -1
                for gind in range(G):
                    if gtm[tind, gind] and not iscrowd[gind]:
                        continue
                    if m > -1 and gt_ig[m] == 0 and gt_ig[gind] == 1:
                        break
                    if ious[dind, gind] < iou:
                        continue
                    iou = ious[dind, gind]
                    m = gind
                if m == -1:
                    continue
                dt_ig[tind, dind] = bool(gt_ig[m])
                dtm[tind, dind] = True
                gtm[tind, m] = True
    outside = np.array([d["area"] < a_rng[0] or d["area"] > a_rng[1] for d in dt], dtype=bool).reshape(1, D)
    dt_ig = dt_ig | (~dtm & np.repeat(outside, T, 0))
    tp = (dtm & ~dt_ig).T
    scores = np.array([d["score"] for d in dt], dtype=np.float64)
    return tp, dt_ig.T, int(np.count_nonzero(gt_ig == 0)), scores


def voc_detection_stats(gt, preds, matches, iou_thrs: Sequence[float], protocol: str,
                        cat_ids: Sequence[int]) -> DetectionStats:
    """:class:`DetectionStats` of protocol ``voc`` / ``voc07`` from :func:`match_by_image` matches."""
    from .voc_instance import true_positives

    cats = [int(c) for c in cat_ids]
    cat_index = {c: k for k, c in enumerate(cats)}
    position = {im.id: i for i, im in enumerate(gt.images)}
    scores = preds.scores[matches.pred_index]
    tp = np.stack([true_positives(matches, scores, t) for t in iou_thrs], axis=1) if len(iou_thrs) else \
        np.zeros((scores.size, 0), dtype=bool)
    det_image = np.array([position[int(i)] for i in preds.image_ids[matches.pred_index]], dtype=np.int64)
    det_class = np.array([cat_index[int(c)] for c in preds.category_ids[matches.pred_index]], dtype=np.int64)
    pos_image, pos_class, pos_count = _sparse_counts(
        np.array([position[int(i)] for i in gt.image_ids[matches.gt_index]], dtype=np.int64),
        np.array([cat_index[int(c)] for c in gt.category_ids[matches.gt_index]], dtype=np.int64), len(cats))
    return DetectionStats(protocol, np.asarray(iou_thrs, dtype=np.float64), len(gt.images), len(cats), det_image,
                          det_class, compact_scores(scores), tp, np.zeros_like(tp), pos_image, pos_class, pos_count)


def _sparse_counts(image: np.ndarray, cls: np.ndarray, num_classes: int):
    code = image.astype(np.int64) * num_classes + cls
    uniq, counts = np.unique(code, return_counts=True)
    return uniq // num_classes, uniq % num_classes, counts.astype(np.int64)


def abo_stats(gt, matches, cat_ids: Sequence[int]) -> AboStats:
    """:class:`AboStats` (class-agnostic ABO, as the evaluator reports it) from :func:`match_by_image`."""
    cats = [int(c) for c in cat_ids]
    cat_index = {c: k for k, c in enumerate(cats)}
    position = {im.id: i for i, im in enumerate(gt.images)}
    image = np.array([position[int(i)] for i in gt.image_ids[matches.gt_index]], dtype=np.int64)
    cls = np.array([cat_index[int(c)] for c in gt.category_ids[matches.gt_index]], dtype=np.int64)
    return AboStats(len(gt.images), len(cats), image, cls, np.asarray(matches.gt_best_any, dtype=np.float64))


def instance_stats(gt, parts: list, info: dict | None = None) -> PerImageStats:
    return PerImageStats("instance", _image_names(gt), parts, dict(info or {}))


# ----------------------------------------------------------------------------- run files
def stage_file(out_dir: str | os.PathLike, evaluation: str) -> tuple[Path, str]:
    """Where an evaluating stage writes the statistics of ``evaluation``, and the reference recorded in the
    entry: ``(<out_dir>/per_image_<evaluation>.npz, "<stage>/per_image_<evaluation>.npz")``. ``out_dir`` is the
    stage's (partial) folder; the reference names the final folder, relative to the run's work dir."""
    from wsisbench.pipeline.qualitative import PARTIAL_SUFFIX

    out_dir = Path(out_dir)
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in evaluation)
    name = f"{FILE_PREFIX}{safe}.npz"
    return out_dir / name, f"{out_dir.name.removesuffix(PARTIAL_SUFFIX)}/{name}"


def current_stage_dir(ctx) -> Path | None:
    """The running stage's partial folder (``<work_dir>/<stage>.partial``), for helpers that are not given
    ``out_dir``; None outside a stage."""
    from wsisbench.pipeline.qualitative import PARTIAL_SUFFIX

    stage = getattr(ctx, "stage", None)
    if stage is None:
        return None
    return Path(ctx.work_dir) / f"{stage.name}{PARTIAL_SUFFIX}"


def per_image_path(run_dir: str | os.PathLike, entry: dict) -> Path | None:
    """The statistics file of an evaluations entry of the run in ``run_dir`` (None when it has none)."""
    ref = entry.get("per_image") if isinstance(entry, dict) else None
    if not ref:
        return None
    return Path(run_dir) / ref

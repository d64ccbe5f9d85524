"""Class-agnostic mask proposals computed on the fly with OpenCV contrib (``cv2.ximgproc.segmentation``).

Two generators, one entry point (:func:`mask_proposals`):

- ``selective_search``: OpenCV's selective search (Uijlings et al., "Selective Search for Object
  Recognition", IJCV 2013) ranks boxes; each box becomes a mask by the *box-to-segments rule* below.
- ``graph``: every segment of OpenCV's graph segmentation (Felzenszwalb and Huttenlocher, "Efficient
  Graph-Based Image Segmentation", IJCV 2004) at several (sigma, k) settings.

The box-to-segments rule. OpenCV's selective search returns only boxes, but each box is the bounding box of
a group of segments of one of the graph segmentations it ran internally. Those segmentations are
re-created here with the same images (colour spaces), k values, sigma and minimum size, which is exact
because the graph segmentation is deterministic. For a box and each of these segmentations, the candidate
mask is the union of the segments with at least ``min_inside`` of their pixels inside the box (default 1.0:
the segments lying wholly inside it). The candidate whose own bounding box agrees best with the box (box
IoU) wins; ties go to the smaller candidate, then to the earlier segmentation. The group selective search
merged is always inside the winning candidate when the winner is the segmentation that produced the box;
the candidate may add further segments that also lie inside the box (background pieces in its corners).

Determinism. OpenCV ranks selective-search regions with the C library's ``rand()`` (each region's level
times a random number, lower first); the process-wide C generator is re-seeded with ``rank_seed`` before
every call (through ``ctypes``; the default 1 is the state a fresh process starts in, and glibc treats 0 as
1), and OpenCV runs on one thread inside these calls (the previous thread count is restored afterwards).
The same image and options therefore give the same masks in the same order.
"""
from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

import cv2
import numpy as np
from scipy import ndimage

from wsisbench.errors import UnknownNameError

#: OpenCV's selective search builds its graph segmentations with this minimum segment size (pixels)
SS_GRAPH_MIN_SIZE = 100

#: default options of each generator (``max_proposals`` is a separate argument of :func:`mask_proposals`)
DEFAULT_OPTIONS: dict[str, dict[str, Any]] = {
    "selective_search": dict(mode="fast", base_k=150, inc_k=150, sigma=0.8, min_inside=1.0, min_area=1,
                             dedup_iou=0.95, rank_seed=1),
    "graph": dict(sigmas=(0.5, 0.8), ks=(100, 300, 1000), color_spaces=("bgr", "lab"), min_size=20, min_area=1,
                  dedup_iou=0.95),
}
SS_MODES = ("single", "fast", "quality")
COLOR_SPACES = ("bgr", "hsv", "lab", "gray")


def resolve_options(method: str, options: dict[str, Any] | None = None, max_proposals: int = 300) -> dict[str, Any]:
    """The complete option set of ``method``: its defaults updated by ``options``, plus ``max_proposals``.

    Sequences become tuples, so equal settings compare (and hash) equal. Raises :class:`UnknownNameError`
    for an unknown method or option name, ``ValueError`` for a bad value.
    """
    if method not in DEFAULT_OPTIONS:
        raise UnknownNameError("proposal method", method, DEFAULT_OPTIONS)
    opts = dict(DEFAULT_OPTIONS[method])
    for key, value in (options or {}).items():
        if key not in opts:
            raise UnknownNameError(f"{method} option", key, opts)
        opts[key] = tuple(value) if isinstance(value, (list, tuple)) else value
    opts["max_proposals"] = int(max_proposals)
    if opts["max_proposals"] < 0:
        raise ValueError(f"max_proposals must be >= 0, got {max_proposals}")
    if not 0.0 < float(opts["dedup_iou"]) <= 1.0:
        raise ValueError(f"dedup_iou must be in (0, 1], got {opts['dedup_iou']}")
    if method == "selective_search":
        if opts["mode"] not in SS_MODES:
            raise ValueError(f"selective_search mode must be one of {', '.join(SS_MODES)}, got {opts['mode']!r}")
        if not 0.0 < float(opts["min_inside"]) <= 1.0:
            raise ValueError(f"min_inside must be in (0, 1], got {opts['min_inside']}")
    else:
        bad = [c for c in opts["color_spaces"] if c not in COLOR_SPACES]
        if bad or not opts["color_spaces"] or not opts["sigmas"] or not opts["ks"]:
            raise ValueError(f"graph needs non-empty sigmas, ks and color_spaces among {', '.join(COLOR_SPACES)}; "
                             f"got {opts['sigmas']}, {opts['ks']}, {opts['color_spaces']}")
    return opts


def check_image(image: np.ndarray) -> np.ndarray:
    """``image`` as a C-contiguous ``uint8[H, W, 3]`` (BGR); ``ValueError`` for anything else."""
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"image must be uint8 [H, W, 3] (BGR), got {image.dtype} {image.shape}")
    if image.shape[0] < 2 or image.shape[1] < 2:
        raise ValueError(f"image is too small for proposals: {image.shape}")
    return np.ascontiguousarray(image)


@contextlib.contextmanager
def opencv_single_thread() -> Iterator[None]:
    """Run OpenCV on one thread inside the block, restoring the previous thread count after it."""
    previous = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(previous)


def _seed_c_rand(value: int) -> None:
    """Re-seed the C library's ``rand()``, which OpenCV's selective search uses to rank its regions."""
    name = ctypes.util.find_library("c")
    if name is None:  # pragma: no cover - every Linux and macOS libc is found
        raise RuntimeError("cannot find the C library to make selective search's ranking reproducible")
    ctypes.CDLL(name).srand(ctypes.c_uint(int(value) & 0xFFFFFFFF))


# ----------------------------------------------------------------------------- segmentations
@dataclass
class Segmentation:
    """One graph segmentation: ``labels`` int32 [H, W] (0..n-1), ``sizes`` int64 [n] (pixels),
    ``boxes`` int64 [n, 4] as ``x0, y0, x1, y1`` with exclusive ends."""

    labels: np.ndarray
    sizes: np.ndarray
    boxes: np.ndarray

    @classmethod
    def of(cls, labels: np.ndarray) -> Segmentation:
        labels = np.ascontiguousarray(labels, dtype=np.int32)
        n = int(labels.max()) + 1
        sizes = np.bincount(labels.ravel(), minlength=n).astype(np.int64)
        boxes = np.zeros((n, 4), np.int64)
        for i, sl in enumerate(ndimage.find_objects(labels + 1, max_label=n)):
            if sl is not None:
                boxes[i] = (sl[1].start, sl[0].start, sl[1].stop, sl[0].stop)
        return cls(labels, sizes, boxes)


def _graph_segment(image: np.ndarray, sigma: float, k: float, min_size: int) -> Segmentation:
    gs = cv2.ximgproc.segmentation.createGraphSegmentation(float(sigma), float(k), int(min_size))
    return Segmentation.of(gs.processImage(image))


def _convert(image: np.ndarray, space: str) -> np.ndarray:
    if space == "bgr":
        return image
    code = {"hsv": cv2.COLOR_BGR2HSV, "lab": cv2.COLOR_BGR2Lab, "gray": cv2.COLOR_BGR2GRAY}[space]
    return cv2.cvtColor(image, code)


def selective_search_images(image: np.ndarray, mode: str) -> list[np.ndarray]:
    """The images OpenCV's selective search segments in ``mode`` ('single' | 'fast' | 'quality'), in its order:
    HSV; + Lab; + grey, the HSV hue channel and (R, G, grey)."""
    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV)
    if mode == "single":
        return [hsv]
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2Lab)
    if mode == "fast":
        return [hsv, lab]
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    rgi = cv2.merge([image[..., 2], image[..., 1], gray])
    return [hsv, lab, gray, np.ascontiguousarray(hsv[..., 0]), rgi]


def selective_search_ks(mode: str, base_k: float, inc_k: float) -> list[float]:
    """The k values of the graph segmentations selective search runs in ``mode``."""
    steps = {"single": 1, "fast": 3, "quality": 5}[mode]
    return [float(base_k + i * inc_k) for i in range(steps)]


# ----------------------------------------------------------------------------- candidates -> unique masks
class _UniqueMasks:
    """Collects masks in order, dropping empty / too small ones and those with IoU > ``dedup_iou`` to a kept one."""

    def __init__(self, shape: tuple[int, int], limit: int, dedup_iou: float, min_area: int):
        self.shape, self.limit, self.dedup_iou, self.min_area = shape, limit, float(dedup_iou), max(1, int(min_area))
        self.masks: list[np.ndarray] = []
        self.areas: list[int] = []
        self._exact: set[bytes] = set()

    @property
    def full(self) -> bool:
        return len(self.masks) >= self.limit

    def add(self, mask: np.ndarray) -> bool:
        area = int(np.count_nonzero(mask))
        if area < self.min_area or self.full:
            return False
        key = np.packbits(mask).tobytes()
        if key in self._exact:
            return False
        if self.dedup_iou < 1.0 and self.masks:
            areas = np.asarray(self.areas)
            # IoU <= min(area) / max(area): only masks of similar size can be near-duplicates
            near = np.flatnonzero((areas * self.dedup_iou < area) & (area * self.dedup_iou < areas))
            for i in near:
                inter = np.count_nonzero(self.masks[i] & mask)
                if inter / (area + self.areas[i] - inter) > self.dedup_iou:
                    return False
        self._exact.add(key)
        self.masks.append(mask)
        self.areas.append(area)
        return True

    def stack(self) -> np.ndarray:
        if not self.masks:
            return np.zeros((0,) + self.shape, dtype=bool)
        return np.stack(self.masks).astype(bool, copy=False)


def _box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two ``x0, y0, x1, y1`` boxes (exclusive ends)."""
    iw = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def mask_from_box(box_xywh: Iterable[int], segmentations: list[Segmentation],
                  min_inside: float = 1.0) -> np.ndarray | None:
    """The box-to-segments rule (module docstring): ``bool[H, W]``, or ``None`` when no segment qualifies.

    Args:
        box_xywh: ``x, y, w, h`` in pixels (OpenCV's rectangle).
        segmentations: the graph segmentations the box may come from.
        min_inside: least fraction of a segment's pixels inside the box for it to join the mask.
    """
    x, y, w, h = (int(v) for v in box_xywh)
    box = np.array([x, y, x + w, y + h])
    best, best_key = None, None
    for index, seg in enumerate(segmentations):
        if min_inside >= 1.0:
            b = seg.boxes
            sel = (b[:, 0] >= box[0]) & (b[:, 1] >= box[1]) & (b[:, 2] <= box[2]) & (b[:, 3] <= box[3])
        else:
            inside = np.bincount(seg.labels[y:y + h, x:x + w].ravel(), minlength=seg.sizes.size)
            sel = inside >= min_inside * seg.sizes
        sel &= seg.sizes > 0
        if not sel.any():
            continue
        chosen = seg.boxes[sel]
        cover = np.array([chosen[:, 0].min(), chosen[:, 1].min(), chosen[:, 2].max(), chosen[:, 3].max()])
        key = (-_box_iou(cover, box), int(seg.sizes[sel].sum()), index)
        if best_key is None or key < best_key:
            best, best_key = (seg, sel), key
    if best is None:
        return None
    seg, sel = best
    return sel[seg.labels]


# ----------------------------------------------------------------------------- the generators
def _selective_search(image: np.ndarray, opts: dict[str, Any]) -> np.ndarray:
    mode, sigma = opts["mode"], float(opts["sigma"])
    ss = cv2.ximgproc.segmentation.createSelectiveSearchSegmentation()
    ss.setBaseImage(image)
    if mode == "single":
        ss.switchToSingleStrategy(int(opts["base_k"]), sigma)
    elif mode == "fast":
        ss.switchToSelectiveSearchFast(int(opts["base_k"]), int(opts["inc_k"]), sigma)
    else:
        ss.switchToSelectiveSearchQuality(int(opts["base_k"]), int(opts["inc_k"]), sigma)
    _seed_c_rand(opts["rank_seed"])
    rects = ss.process()
    rects = np.zeros((0, 4), np.int64) if rects is None else np.asarray(rects).reshape(-1, 4)

    ks = selective_search_ks(mode, int(opts["base_k"]), int(opts["inc_k"]))
    segmentations = [_graph_segment(img, sigma, k, SS_GRAPH_MIN_SIZE)
                     for img in selective_search_images(image, mode) for k in ks]
    out = _UniqueMasks(image.shape[:2], opts["max_proposals"], opts["dedup_iou"], opts["min_area"])
    for rect in rects:
        if out.full:
            break
        mask = mask_from_box(rect, segmentations, float(opts["min_inside"]))
        if mask is not None:
            out.add(mask)
    return out.stack()


def _graph(image: np.ndarray, opts: dict[str, Any]) -> np.ndarray:
    """Segments of every (colour space, sigma, k) setting; taken round-robin over the settings, each setting's
    segments largest first."""
    per_setting = []
    for space in opts["color_spaces"]:
        img = _convert(image, space)
        for sigma in opts["sigmas"]:
            for k in opts["ks"]:
                seg = _graph_segment(img, sigma, k, opts["min_size"])
                order = np.argsort(-seg.sizes, kind="stable")
                per_setting.append((seg, order))
    out = _UniqueMasks(image.shape[:2], opts["max_proposals"], opts["dedup_iou"], opts["min_area"])
    depth = max(len(order) for _, order in per_setting)
    for rank in range(depth):
        for seg, order in per_setting:
            if out.full:
                return out.stack()
            if rank < len(order):
                out.add(seg.labels == order[rank])
    return out.stack()


GENERATORS: dict[str, Callable[[np.ndarray, dict[str, Any]], np.ndarray]] = {
    "selective_search": _selective_search,
    "graph": _graph,
}


def mask_proposals(image: np.ndarray, method: str = "selective_search", *, max_proposals: int = 300,
                   **options) -> np.ndarray:
    """Class-agnostic mask proposals of one image.

    Args:
        image: ``uint8[H, W, 3]``, BGR (as ``cv2.imread`` gives it).
        method: ``'selective_search'`` or ``'graph'`` (module docstring).
        max_proposals: the most masks returned.
        **options: the generator's options (:data:`DEFAULT_OPTIONS`), e.g. ``mode='quality'`` for selective
            search or ``ks=(200, 500)`` for graph.

    Returns:
        ``bool[N, H, W]`` with ``N <= max_proposals``, in the generator's ranking (selective search: OpenCV's
        rank; graph: round-robin over settings, larger segments first); masks smaller than ``min_area``
        pixels and those with IoU > ``dedup_iou`` (0.95) with an earlier one are dropped. Deterministic.
    """
    opts = resolve_options(method, options, max_proposals)
    image = check_image(image)
    if opts["max_proposals"] == 0:
        return np.zeros((0,) + image.shape[:2], dtype=bool)
    with opencv_single_thread():
        return GENERATORS[method](image, opts)

"""Qualitative figure: images with ground truth, predicted masks and localization maps overlaid.

Reads result.json's optional ``qualitative`` list, ``[{image, pred, gt, cam, maps}, ...]`` with paths
relative to the result.json folder (or absolute): ``image`` any RGB image, ``pred``/``gt`` label PNGs
(palette or grey; 0 background, 255 void), ``cam`` a ``.npy`` map [H, W] or [C, H, W] (max over C), ``maps``
named ``.npy`` maps that :func:`maps_side_by_side` shows for several runs on the same images. Missing or
unreadable files leave that panel blank with a note instead of failing the report.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from PIL import Image

from wsisbench.reporting.plots import to_png
from wsisbench.reporting.results import RunResult

MAX_SAMPLES = 6
ALPHA = 0.5


def _path(run: RunResult, p) -> Path | None:
    if not isinstance(p, str) or not p:
        return None
    path = Path(p)
    return path if path.is_absolute() else run.directory / path


def _load_rgb(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0


def _read_image(run: RunResult, p) -> np.ndarray | None:
    """The entry's image as RGB [H, W, 3] in [0, 1], or None when it is not given or cannot be read."""
    path = _path(run, p)
    try:
        return _load_rgb(path) if path is not None else None
    except OSError:
        return None


def label_colors(labels: np.ndarray) -> np.ndarray:
    """RGB [H, W, 3] in [0, 1] for a label map: a fixed colour per class, background/void transparent-black."""
    cmap = colormaps["tab20"]
    rgb = np.zeros((*labels.shape, 3), np.float32)
    for k in np.unique(labels):
        if k in (0, 255):
            continue
        rgb[labels == k] = cmap((int(k) - 1) % 20)[:3]
    return rgb


def overlay_labels(image: np.ndarray, labels: np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    """Blend class colours into ``image`` [H, W, 3] where ``labels`` [H, W] is a class (not 0/255)."""
    labels = _fit(labels, image.shape[:2], nearest=True)
    fg = ((labels != 0) & (labels != 255))[..., None]
    return np.where(fg, (1 - alpha) * image + alpha * label_colors(labels), image)


def overlay_heatmap(image: np.ndarray, cam: np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    """Blend a localization map (normalized to [0, 1], jet colours) into ``image``."""
    cam = np.asarray(cam, np.float32)
    if cam.ndim == 3:
        cam = cam.max(axis=0)
    cam = _fit(cam, image.shape[:2], nearest=False)
    lo, hi = float(np.nanmin(cam)), float(np.nanmax(cam))
    cam = (cam - lo) / (hi - lo) if hi > lo else np.zeros_like(cam)
    heat = colormaps["jet"](np.nan_to_num(cam))[..., :3]
    return (1 - alpha) * image + alpha * heat


def _fit(a: np.ndarray, shape: tuple[int, int], nearest: bool) -> np.ndarray:
    if a.shape[:2] == shape:
        return a
    resample = Image.Resampling.NEAREST if nearest else Image.Resampling.BILINEAR
    img = Image.fromarray(np.ascontiguousarray(a, dtype=np.int32 if nearest else np.float32))
    return np.asarray(img.resize((shape[1], shape[0]), resample))


def read_labels(path: Path) -> np.ndarray:
    """A label PNG as class indices [H, W] (palette and grey images as stored, RGB via grey)."""
    img = Image.open(path)
    if img.mode not in ("P", "L", "I", "I;16"):
        img = img.convert("L")
    return np.asarray(img)


def _read_panel(run: RunResult, sample: dict, key: str, image: np.ndarray | None):
    """(array to show, note) for one panel; note explains a blank panel."""
    path = _path(run, sample.get(key))
    if key == "image":
        return (image, "") if image is not None else (None, "no image")
    if path is None:
        return None, f"no {key}"
    if image is None:
        return None, "no image"
    try:
        if key == "cam":
            return overlay_heatmap(image, np.load(path)), ""
        return overlay_labels(image, read_labels(path)), ""
    except (OSError, ValueError) as e:
        return None, f"{key} unreadable: {type(e).__name__}"


def qualitative_figure(run: RunResult, max_samples: int = MAX_SAMPLES) -> bytes | None:
    """Rows of samples; columns image / ground truth / prediction / localization map. None if no samples."""
    samples = [s for s in run.qualitative if isinstance(s, dict) and any(s.get(k) for k in ("gt", "pred", "cam"))]
    samples = samples[:max_samples]
    if not samples:
        return None
    panels = [k for k in ("image", "gt", "pred", "cam") if any(s.get(k) for s in samples)]
    titles = {"image": "image", "gt": "ground truth", "pred": "prediction", "cam": "localization map"}
    fig = Figure(figsize=(2.6 * len(panels), 2.4 * len(samples)))
    axes = np.atleast_2d(fig.subplots(len(samples), len(panels), squeeze=False))
    for i, s in enumerate(samples):
        image = _read_image(run, s.get("image"))
        for j, key in enumerate(panels):
            ax = axes[i, j]
            ax.set_axis_off()
            arr, note = _read_panel(run, s, key, image)
            if arr is not None:
                ax.imshow(np.clip(arr, 0, 1))
            else:
                ax.text(0.5, 0.5, note, ha="center", va="center", fontsize=8, transform=ax.transAxes)
            if i == 0:
                ax.set_title(titles[key], fontsize=9)
    fig.suptitle(f"{run.name}: qualitative results", fontsize=10)
    return to_png(fig)


def maps_side_by_side(runs: list[RunResult], max_samples: int = 3) -> bytes | None:
    """The named maps of several runs on the images they share, side by side: one row per image, for each run
    its maps (e.g. class response map, peak response map) as heat maps over the image. None when no run has
    maps or the runs share no image."""
    with_maps = []
    for r in runs:
        entries = {s["image"]: s for s in r.qualitative if isinstance(s, dict) and s.get("maps") and s.get("image")}
        if entries:
            with_maps.append((r, entries))
    if not with_maps:
        return None
    shared = [img for img in with_maps[0][1] if all(img in e for _, e in with_maps)][:max_samples]
    if not shared:
        return None
    columns = [(k, label) for k, (_, e) in enumerate(with_maps) for label in e[shared[0]]["maps"]]
    fig = Figure(figsize=(2.4 * len(columns), 2.5 * len(shared)))
    axes = np.atleast_2d(fig.subplots(len(shared), len(columns), squeeze=False))
    for i, img in enumerate(shared):
        image = None
        for j, (k, label) in enumerate(columns):
            r, entry = with_maps[k][0], with_maps[k][1][img]
            if image is None:
                image = _read_image(r, img)
            ax = axes[i, j]
            ax.set_axis_off()
            path = _path(r, entry["maps"].get(label))
            try:
                arr = overlay_heatmap(image, np.load(path)) if image is not None and path is not None else None
                note = "" if arr is not None else "no image"
            except (OSError, ValueError) as e:
                arr, note = None, f"unreadable: {type(e).__name__}"
            if arr is not None:
                ax.imshow(np.clip(arr, 0, 1))
            else:
                ax.text(0.5, 0.5, note, ha="center", va="center", fontsize=8, transform=ax.transAxes)
            if i == 0:
                ax.set_title(f"{r.name}\n{label}", fontsize=8)
            if j % len(entry["maps"]) == 0 and entry.get("caption"):
                ax.text(0.0, -0.04, entry["caption"], fontsize=6, transform=ax.transAxes, va="top")
    fig.suptitle("Localization maps side by side", fontsize=10)
    return to_png(fig)

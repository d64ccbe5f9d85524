"""Backgrounds and object appearance: colours, smooth noise and periodic patterns.

All images here are float32 RGB arrays ``(H, W, 3)`` with values in [0, 255]; patterns are float32
``(H, W)`` in [0, 1] that blend two colours of a class's colour family.

Background families (:data:`BACKGROUNDS`): multi-scale noise, linear/radial gradients, stripes, grids and
checkerboards, and blotches of random colour. Their colours are drawn from the whole colour wheel, so a pixel's
colour alone does not tell object from background.
"""
from __future__ import annotations

import colorsys
from typing import Callable

import cv2
import numpy as np


def hsv(h_deg: float, s: float, v: float) -> np.ndarray:
    """One colour from hue (degrees), saturation and value in [0, 1] -> float32 RGB ``(3,)`` in [0, 255]."""
    r, g, b = colorsys.hsv_to_rgb((h_deg % 360.0) / 360.0, float(np.clip(s, 0, 1)), float(np.clip(v, 0, 1)))
    return np.array([r, g, b], np.float32) * 255.0


def random_colour(rng: np.random.Generator) -> np.ndarray:
    """A background colour from anywhere on the colour wheel, float32 RGB ``(3,)``."""
    return hsv(rng.uniform(0, 360), rng.uniform(0.05, 0.85), rng.uniform(0.2, 0.95))


def smooth_noise(rng: np.random.Generator, h: int, w: int, cells: float) -> np.ndarray:
    """Value noise: a random grid of about ``cells`` cells across, upsampled bicubically -> ``(h, w)`` float32,
    roughly in [0, 1]."""
    gh = max(2, int(round(cells * h / max(h, w))) + 1)
    gw = max(2, int(round(cells * w / max(h, w))) + 1)
    grid = rng.random((gh, gw), dtype=np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)


def fractal_noise(rng: np.random.Generator, h: int, w: int, octaves=(2, 4, 8, 16)) -> np.ndarray:
    """Sum of :func:`smooth_noise` octaves, normalized to [0, 1] -> ``(h, w)`` float32."""
    total = np.zeros((h, w), np.float32)
    for i, cells in enumerate(octaves):
        total += smooth_noise(rng, h, w, cells) * (0.55 ** i)
    lo, hi = total.min(), total.max()
    return (total - lo) / max(hi - lo, 1e-6)


def _blend(t: np.ndarray, c0: np.ndarray, c1: np.ndarray) -> np.ndarray:
    """``(H, W)`` weights in [0, 1] -> ``(H, W, 3)`` mix of colours ``c0`` (t=0) and ``c1`` (t=1)."""
    return c0 + t[..., None] * (c1 - c0)


def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    return xs, ys


def _rotated(rng: np.random.Generator, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates rotated by a random angle: ``(u, v)`` each ``(h, w)`` float32."""
    xs, ys = _grid(h, w)
    a = rng.uniform(0, np.pi)
    return xs * np.cos(a) + ys * np.sin(a), -xs * np.sin(a) + ys * np.cos(a)


def bg_noise(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    t = fractal_noise(rng, h, w)
    c0, c1, c2 = random_colour(rng), random_colour(rng), random_colour(rng)
    lower = _blend(np.clip(t * 2.0, 0, 1), c0, c1)
    return _blend(np.clip(t * 2.0 - 1.0, 0, 1), lower, c2)


def bg_gradient(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    xs, ys = _grid(h, w)
    c0, c1 = random_colour(rng), random_colour(rng)
    if rng.random() < 0.5:  # linear
        u, _ = _rotated(rng, h, w)
        t = (u - u.min()) / max(float(u.max() - u.min()), 1e-6)
    else:  # radial around a random point
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        r = np.sqrt((xs - cx) ** 2 + (ys - cy) ** 2)
        t = r / max(float(r.max()), 1e-6)
    t = np.clip(t + 0.15 * (fractal_noise(rng, h, w) - 0.5), 0, 1)
    return _blend(t, c0, c1)


def bg_stripes(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    u, _ = _rotated(rng, h, w)
    period = rng.uniform(0.05, 0.25) * max(h, w)
    t = 0.5 + 0.5 * np.sin(2 * np.pi * u / period + rng.uniform(0, 2 * np.pi))
    t = np.clip((t - 0.5) * rng.uniform(1.0, 4.0) + 0.5, 0, 1)  # from soft to hard stripes
    return _blend(t, random_colour(rng), random_colour(rng))


def bg_grid(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    u, v = _rotated(rng, h, w)
    cell = rng.uniform(0.06, 0.22) * max(h, w)
    if rng.random() < 0.5:  # checkerboard
        t = ((np.floor(u / cell) + np.floor(v / cell)) % 2).astype(np.float32)
    else:  # thin grid lines
        line = rng.uniform(0.08, 0.25) * cell
        t = (((u % cell) < line) | ((v % cell) < line)).astype(np.float32)
    t = cv2.GaussianBlur(t, (0, 0), 0.7)
    return _blend(t, random_colour(rng), random_colour(rng))


def bg_blotches(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    img = np.empty((h, w, 3), np.float32)
    img[:] = random_colour(rng)
    side = max(h, w)
    for _ in range(int(rng.integers(6, 16))):
        centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        axes = (int(rng.uniform(0.03, 0.2) * side) + 1, int(rng.uniform(0.03, 0.2) * side) + 1)
        colour = tuple(float(c) for c in random_colour(rng))
        cv2.ellipse(img, centre, axes, float(rng.uniform(0, 180)), 0, 360, colour, -1, cv2.LINE_AA)
    return cv2.GaussianBlur(img, (0, 0), rng.uniform(0.8, 3.0))


#: background family name -> ``f(rng, h, w) -> (h, w, 3) float32``
BACKGROUNDS: dict[str, Callable[[np.random.Generator, int, int], np.ndarray]] = {
    "noise": bg_noise, "gradient": bg_gradient, "stripes": bg_stripes, "grid": bg_grid,
    "blotches": bg_blotches,
}


def background(rng: np.random.Generator, size: int) -> np.ndarray:
    """A random background of a random family -> ``(size, size, 3)`` float32 in [0, 255]."""
    names = sorted(BACKGROUNDS)
    name = names[int(rng.integers(len(names)))]
    return BACKGROUNDS[name](rng, size, size)


# ----- object surface patterns: f(rng, u, v, radius, period) -> (h, w) float32 in [0, 1] -----
# u, v: pixel offsets from the object centre in the object's own (rotated) frame; radius: object radius in
# pixels; period: the pattern's period in pixels.

def _soft(x: np.ndarray, sharpness: float = 3.0) -> np.ndarray:
    return np.clip(0.5 + sharpness * x, 0.0, 1.0)


def p_stripes(rng, u, v, radius, period):
    return _soft(np.sin(2 * np.pi * u / period + rng.uniform(0, 2 * np.pi)))


def p_dots(rng, u, v, radius, period):
    fu = (u / period + rng.uniform(0, 1)) % 1.0 - 0.5
    fv = (v / period + rng.uniform(0, 1)) % 1.0 - 0.5
    return _soft((0.3 ** 2 - (fu * fu + fv * fv)) * 30.0)


def p_checker(rng, u, v, radius, period):
    return ((np.floor(u / period) + np.floor(v / period)) % 2).astype(np.float32)


def p_concentric(rng, u, v, radius, period):
    r = np.sqrt(u * u + v * v)
    return _soft(np.sin(2 * np.pi * r / period))


def p_waves(rng, u, v, radius, period):
    wobble = 0.35 * period * np.sin(2 * np.pi * u / (2.2 * period))
    return _soft(np.sin(2 * np.pi * (v + wobble) / period))


def p_radial(rng, u, v, radius, period):
    spokes = max(4, int(round(2 * np.pi * radius * 0.6 / period)))
    theta = np.arctan2(v, u)
    return _soft(np.sin(spokes * theta + rng.uniform(0, 2 * np.pi)))


def p_speckle(rng, u, v, radius, period):
    h, w = u.shape
    cells = max(2.0, max(h, w) / (0.6 * period))
    return _soft(smooth_noise(rng, h, w, cells) - 0.5, 6.0)


def p_crosshatch(rng, u, v, radius, period):
    a = (u + v) / (period * 1.41) % 1.0
    b = (u - v) / (period * 1.41) % 1.0
    return ((a < 0.25) | (b < 0.25)).astype(np.float32)


def p_gradient(rng, u, v, radius, period):
    return np.clip(0.5 + 0.5 * u / max(radius, 1.0), 0.0, 1.0).astype(np.float32)


def p_zigzag(rng, u, v, radius, period):
    tri = np.abs((u / period) % 1.0 - 0.5) * period  # triangle wave, amplitude period/2
    return _soft(np.sin(2 * np.pi * (v + tri) / period))


Pattern = Callable[[np.random.Generator, np.ndarray, np.ndarray, float, float], np.ndarray]

#: pattern name -> ``f(rng, u, v, radius, period) -> (h, w) float32 in [0, 1]``
PATTERNS: dict[str, Pattern] = {
    "stripes": p_stripes, "dots": p_dots, "checker": p_checker, "concentric": p_concentric,
    "waves": p_waves, "radial": p_radial, "speckle": p_speckle, "crosshatch": p_crosshatch,
    "gradient": p_gradient, "zigzag": p_zigzag,
}


def object_appearance(rng: np.random.Generator, hue: float, pattern: str, u: np.ndarray, v: np.ndarray,
                      radius: float) -> np.ndarray:
    """The surface of one instance in its class's colour family and pattern, with per-instance jitter
    (hue +-14 degrees, saturation, brightness, contrast, pattern period and phase, shading).

    ``u, v``: ``(h, w)`` pixel offsets in the object's frame; ``radius`` in pixels.
    Returns ``(h, w, 3)`` float32 in [0, 255].
    """
    h0 = hue + rng.uniform(-14, 14)
    s0, v0 = rng.uniform(0.45, 0.95), rng.uniform(0.45, 0.95)
    contrast = rng.uniform(0.2, 0.45) * (1 if rng.random() < 0.5 else -1)
    c0 = hsv(h0, s0, v0)
    c1 = hsv(h0 + rng.uniform(-20, 20), s0 * rng.uniform(0.6, 1.1), v0 + contrast)
    period = float(np.clip(radius * rng.uniform(0.3, 0.45), 3.0, 14.0))
    t = PATTERNS[pattern](rng, u, v, radius, period).astype(np.float32)
    img = _blend(t, c0, c1)
    # soft directional shading across the object
    a = rng.uniform(0, 2 * np.pi)
    shade = 1.0 + rng.uniform(0.0, 0.25) * (u * np.cos(a) + v * np.sin(a)) / max(radius, 1.0)
    return np.clip(img * shade[..., None].astype(np.float32), 0, 255)

"""The paired difference of two run sets on a metric, with a percentile bootstrap interval over images and seeds.

Point estimate: ``mean over left seeds - mean over right seeds`` of the recorded metric (left - right).

Each bootstrap replicate

1. draws the images with replacement (one draw, used by both sides: the comparison is paired by image);
2. draws each side's seeds with replacement (as many as it has);
3. recomputes the metric of every drawn seed's run on the drawn images from its per-image statistics
   (:mod:`wsisbench.evaluation.per_image`, the evaluator's own arithmetic, vectorized over replicates);
4. averages over the drawn seeds and takes the difference.

The interval is the 2.5 / 97.5 percentiles of the replicate differences (linear interpolation between order
statistics; the upper bound is computed as minus the lower bound of the negated differences, so that
exchanging the sides negates the interval exactly).

Draws are deterministic given ``bootstrap_seed``: the images from one stream; each run set's seeds from a
stream keyed by the run set itself, so the draws do not depend on which side a run set is on, and two
metrics of the same run set are paired by seed as well.

Without per-image statistics for the metric (metrics that are no sum over images, e.g. a spread over
repeats, or runs made before they existed) the replicates resample seeds only; with one run per side and
no per-image statistics there is no interval. With one seed per side the interval covers images only.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from wsisbench.errors import DataError, WsisbenchError
from wsisbench.utils.hashing import stable_hash

from .runsets import RunSet

DEFAULT_REPLICATES = 2000
DEFAULT_CONFIDENCE = 0.95
#: replicates drawn and evaluated together (fixed, so that the draws never depend on it)
_CHUNK = 250
#: recomputed full-data metrics must equal the recorded ones to this (else the file is not the run's)
_CONSISTENCY_TOL = 1e-9


@dataclass
class Difference:
    """``left - right`` on a metric with its bootstrap interval (fractions, like result.json)."""

    left: str
    right: str
    left_metric: str
    right_metric: str
    left_mean: float
    left_std: float
    right_mean: float
    right_std: float
    seeds_left: list[int]
    seeds_right: list[int]
    point: float
    low: float | None
    high: float | None
    resampled: str  # "images and seeds" | "images" | "seeds" | "none"
    replicates: int
    num_images: int | None
    confidence: float
    bootstrap_seed: int
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in d.items()}


def _quantile(sorted_values: np.ndarray, q: float) -> float:
    """numpy's 'linear' quantile of an ascending array."""
    n = sorted_values.size
    h = (n - 1) * q
    lo = int(math.floor(h))
    hi = min(lo + 1, n - 1)
    return float(sorted_values[lo] + (h - lo) * (sorted_values[hi] - sorted_values[lo]))


def percentile_interval(diffs: np.ndarray, confidence: float = DEFAULT_CONFIDENCE) -> tuple[float, float]:
    """The two-sided percentile interval of ``diffs``, exactly negated when ``diffs`` is negated."""
    a = (1.0 - confidence) / 2
    low = _quantile(np.sort(diffs), a)
    high = -_quantile(np.sort(-diffs), a)
    return low, high


def _stream(bootstrap_seed: int, *key) -> np.random.Generator:
    words = [int(stable_hash([str(k) for k in key], 16)[i:i + 8], 16) for i in (0, 8)]
    return np.random.default_rng(np.random.SeedSequence([int(bootstrap_seed) & 0xFFFFFFFF, *words]))


def _split_metric(metric: str) -> tuple[str, str]:
    if "/" not in metric:
        raise WsisbenchError(f"metric {metric!r} must be a result.json metrics key '<evaluation>/<metric>'")
    evaluation, name = metric.split("/", 1)
    return evaluation, name


def _check_comparable(left: RunSet, right: RunSet) -> None:
    if left.benchmark != right.benchmark:
        raise DataError(f"cannot compare {left.label} on benchmark {left.benchmark!r} with {right.label} on "
                        f"{right.benchmark!r}: a paired comparison needs the same benchmark")
    if left.data_content != right.data_content:
        raise DataError(f"cannot compare {left.label} and {right.label}: they ran on different data (data "
                        f"fingerprint content {left.data_content or '?'} vs {right.data_content or '?'})")


def _per_image_side(rs: RunSet, metric: str) -> tuple[list | None, str | None]:
    """The run set's per-image statistics able to recompute ``metric``, or None and why not."""
    evaluation, name = _split_metric(metric)
    stats = rs.per_image(evaluation)
    if any(s is None for s in stats):
        n = sum(s is None for s in stats)
        return None, f"{n} run(s) of {rs.label} have no per-image statistics for {evaluation!r}"
    if any(name not in s.metric_names for s in stats):
        return None, f"{metric!r} is not recomputable from per-image statistics (not a sum over images)"
    return stats, None


def _run_weights(stats, common: list[str]) -> np.ndarray:
    """Column index into the common image order for each of this run's images."""
    pos = {n: j for j, n in enumerate(common)}
    if len(stats.images) != len(common) or any(n not in pos for n in stats.images):
        raise DataError("image lists differ")
    return np.array([pos[n] for n in stats.images], dtype=np.intp)


def _replicate_values(rs: RunSet, stats: list, cols: list[np.ndarray], metric: str, recorded: np.ndarray,
                      common: list[str], replicates: int, bootstrap_seed: int) -> np.ndarray:
    """float64 [runs, replicates]: each run's ``metric`` on the bootstrap image draws (cached on the run set:
    the draws depend only on the bootstrap seed and the image list, so every comparison reuses them)."""
    _, name = _split_metric(metric)
    n_img = len(common)
    key = (metric, int(bootstrap_seed), replicates, n_img, stable_hash(common))
    cache = rs._per_image.setdefault("_replicates", {})
    if key in cache:
        return cache[key]
    ones = np.ones((1, n_img))
    for k, (s, c) in enumerate(zip(stats, cols)):
        full = float(s.compute(name, ones[:, c])[0])
        if not (abs(full - recorded[k]) <= _CONSISTENCY_TOL or (math.isnan(full) and math.isnan(recorded[k]))):
            raise DataError(f"{rs.label} seed {rs.seeds[k]}: its per-image statistics give {name} = {full!r}, the run "
                            f"recorded {recorded[k]!r}; the file is not this run's")
    out = np.empty((len(stats), replicates))
    img_rng = _stream(bootstrap_seed, "images", n_img)
    for start in range(0, replicates, _CHUNK):
        b = min(_CHUNK, replicates - start)
        idx = img_rng.integers(0, n_img, size=(b, n_img))
        W = np.bincount((np.arange(b)[:, None] * n_img + idx).ravel(), minlength=b * n_img)
        W = W.reshape(b, n_img).astype(np.float64)
        for k, (s, c) in enumerate(zip(stats, cols)):
            out[k, start:start + b] = s.compute(name, W[:, c])
    cache[key] = out
    return out


def paired_difference(left: RunSet, right: RunSet, metric: str, right_metric: str | None = None,
                      replicates: int = DEFAULT_REPLICATES, bootstrap_seed: int = 0,
                      confidence: float = DEFAULT_CONFIDENCE) -> Difference:
    """``left - right`` on ``metric`` (``right_metric`` for the right side when it differs), see module doc.

    Raises:
        DataError: the run sets are on different benchmarks or data, their per-image statistics cover
            different images, or a per-image file does not reproduce its run's recorded metric.
    """
    right_metric = right_metric or metric
    replicates = int(replicates)
    if replicates < 1:
        raise WsisbenchError(f"--bootstrap must be at least 1, got {replicates}")
    _check_comparable(left, right)
    lv, rv = left.values(metric), right.values(right_metric)
    bad = [f"{rs.label} {m}" for rs, m, v in ((left, metric, lv), (right, right_metric, rv)) if np.isnan(v).any()]
    if bad:
        raise WsisbenchError(f"undefined (NaN) values in {', '.join(bad)}")
    lmean, lstd, _ = left.mean_std(metric)
    rmean, rstd, _ = right.mean_std(right_metric)
    notes: list[str] = []
    out = Difference(left.label, right.label, metric, right_metric, lmean, lstd, rmean, rstd, left.seeds,
                     right.seeds, float(lmean - rmean), None, None, "none", replicates, None, float(confidence),
                     int(bootstrap_seed), notes)
    l_stats, why_l = _per_image_side(left, metric)
    r_stats, why_r = _per_image_side(right, right_metric)
    use_images = l_stats is not None and r_stats is not None
    if not use_images:
        notes.append(f"resampled seeds only: {why_l or why_r}")
        if lv.size < 2 and rv.size < 2:
            notes.append("one run per side and no per-image statistics: no interval")
            return out
    # seed draws, keyed by run set so that they do not depend on the side
    l_draw = _stream(bootstrap_seed, "seeds", *left.key).integers(0, lv.size, size=(replicates, lv.size))
    r_draw = _stream(bootstrap_seed, "seeds", *right.key).integers(0, rv.size, size=(replicates, rv.size))
    if use_images:
        common = sorted(l_stats[0].images)
        try:
            l_cols = [_run_weights(s, common) for s in l_stats]
            r_cols = [_run_weights(s, common) for s in r_stats]
        except DataError:
            raise DataError(f"cannot compare {left.label} ({metric}) and {right.label} ({right_metric}): their "
                            f"per-image statistics cover different image lists") from None
        out.num_images = len(common)
        lm = _replicate_values(left, l_stats, l_cols, metric, lv, common, replicates, bootstrap_seed)
        rm = _replicate_values(right, r_stats, r_cols, right_metric, rv, common, replicates, bootstrap_seed)
        resampled = "images and seeds" if (lv.size > 1 or rv.size > 1) else "images"
        if resampled == "images":
            notes.append("one seed per side: the interval covers the images only, not the variation over seeds")
    else:
        lm = np.repeat(lv[:, None], replicates, axis=1)
        rm = np.repeat(rv[:, None], replicates, axis=1)
        resampled = "seeds"
        if lv.size < 2 or rv.size < 2:
            notes.append("one side has a single run: its value is held fixed")
    cols = np.arange(replicates)
    l_rep = lm[l_draw.T, cols[None, :]].mean(axis=0)
    r_rep = rm[r_draw.T, cols[None, :]].mean(axis=0)
    diffs = l_rep - r_rep
    finite = diffs[~np.isnan(diffs)]
    if finite.size < diffs.size:
        notes.append(f"{diffs.size - finite.size} of {diffs.size} replicates undefined (NaN) and left out")
    out.resampled = resampled
    if finite.size:
        out.low, out.high = percentile_interval(finite, confidence)
    return out

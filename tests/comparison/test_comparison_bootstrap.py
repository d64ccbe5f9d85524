"""The paired bootstrap: known answers, nominal coverage under no difference, symmetry, refusals."""
from __future__ import annotations

import math

import numpy as np
import pytest
from comparison_helpers import in_memory_run, in_memory_sets, random_semantic, semantic_stats

from wsisbench.comparison import paired_difference, percentile_interval
from wsisbench.errors import DataError


def _constant_run(class1_tp: int, n: int = 30) -> object:
    """Every image the same: class 0 IoU 8/12, class 1 IoU class1_tp / (10 - class1_tp), class 2 absent."""
    tp = np.tile([8, class1_tp, 0], (n, 1))
    gt = np.tile([10, 5, 0], (n, 1))
    pred = np.tile([10, 5, 0], (n, 1))
    return semantic_stats(tp, gt, pred)


def test_identical_images_give_the_exact_difference():
    """All images alike: every image draw gives the same metrics, so the interval is the exact difference."""
    left = [in_memory_run("m", "left", s, _constant_run(5)) for s in (0, 1, 2)]
    right = [in_memory_run("m", "right", s, _constant_run(3)) for s in (0, 1, 2)]
    ls, rs = in_memory_sets(left + right)
    d = paired_difference(ls, rs, "val/mIoU", replicates=300)
    exact = (8 / 12 + 1.0) / 2 - (8 / 12 + 3 / 7) / 2
    assert d.resampled == "images and seeds" and d.num_images == 30
    assert abs(d.point - exact) < 1e-15 and abs(d.low - exact) < 1e-15 and abs(d.high - exact) < 1e-15
    assert d.left_std < 1e-15 and d.seeds_left == [0, 1, 2]


def test_seed_resampling_with_identical_images_spans_the_seed_means():
    """Images alike, seeds differ: the replicates are means of drawn seeds, inside [min, max] of the seeds."""
    left = [in_memory_run("m", "left", s, _constant_run(q)) for s, q in ((0, 5), (1, 4), (2, 3))]
    right = [in_memory_run("m", "right", 0, _constant_run(3))]
    ls, rs = in_memory_sets(left + right)
    d = paired_difference(ls, rs, "val/mIoU", replicates=500)
    per_seed = np.array([r.metrics["val/mIoU"] for r in left]) - right[0].metrics["val/mIoU"]
    assert per_seed.min() - 1e-15 <= d.low < d.point < d.high <= per_seed.max() + 1e-15
    assert abs(d.point - per_seed.mean()) < 1e-15


def test_no_true_difference_is_covered_at_about_the_nominal_rate():
    """Left and right drawn from one distribution (shared image difficulty): 0 inside ~95 % of intervals."""
    rng = np.random.default_rng(1)
    trials, covered = 120, 0
    for t in range(trials):
        difficulty = rng.uniform(0.0, 0.5, 50)
        ls, rs = in_memory_sets([in_memory_run("m", "left", 0, random_semantic(rng, difficulty)),
                                 in_memory_run("m", "right", 0, random_semantic(rng, difficulty))])
        d = paired_difference(ls, rs, "val/mIoU", replicates=300, bootstrap_seed=t)
        assert d.resampled == "images"
        covered += d.low <= 0.0 <= d.high
    rate = covered / trials
    assert 0.86 <= rate <= 1.0, rate


def test_a_real_difference_is_detected_and_seeds_widen_the_interval():
    rng = np.random.default_rng(2)
    difficulty = rng.uniform(0.0, 0.4, 80)
    good = [in_memory_run("m", "good", s, random_semantic(rng, difficulty, quality=0.8)) for s in range(3)]
    bad = [in_memory_run("m", "bad", s, random_semantic(rng, difficulty, quality=0.6)) for s in range(3)]
    g, b = in_memory_sets(good + bad)
    d = paired_difference(g, b, "val/mIoU", replicates=400)
    assert d.low > 0 and d.resampled == "images and seeds"
    one = in_memory_sets([good[0], bad[0]])
    d1 = paired_difference(*one, "val/mIoU", replicates=400)
    assert d1.resampled == "images" and any("images only" in n for n in d1.notes)


def test_swapping_sides_negates_the_interval_exactly_and_is_deterministic():
    rng = np.random.default_rng(3)
    difficulty = rng.uniform(0.0, 0.5, 40)
    a = [in_memory_run("m", "a", s, random_semantic(rng, difficulty, 0.72)) for s in range(3)]
    b = [in_memory_run("m", "b", s, random_semantic(rng, difficulty, 0.70)) for s in range(2)]
    sa, sb = in_memory_sets(a + b)
    ab = paired_difference(sa, sb, "val/mIoU", replicates=250, bootstrap_seed=5)
    ba = paired_difference(sb, sa, "val/mIoU", replicates=250, bootstrap_seed=5)
    assert ab.point == -ba.point and ab.low == -ba.high and ab.high == -ba.low
    again = paired_difference(sa, sb, "val/mIoU", replicates=250, bootstrap_seed=5)
    assert (again.low, again.high) == (ab.low, ab.high)
    other = paired_difference(sa, sb, "val/mIoU", replicates=250, bootstrap_seed=6)
    assert (other.low, other.high) != (ab.low, ab.high)


def test_percentile_interval_matches_numpy_and_is_antisymmetric():
    x = np.random.default_rng(0).normal(size=2001)
    low, high = percentile_interval(x)
    assert abs(low - np.percentile(x, 2.5)) < 1e-12 and abs(high - np.percentile(x, 97.5)) < 1e-12
    nlow, nhigh = percentile_interval(-x)
    assert (nlow, nhigh) == (-high, -low)


def test_metrics_without_per_image_statistics_resample_seeds_paired_by_seed():
    """Table 6 style: two metrics of one run set, no per-image decomposition: seeds only, the same draws."""
    runs = [in_memory_run("m", "rep", s, None, {"repeat_N300/std_mIoU": 0.004 + 0.001 * s,
                                                 "repeat_N10/std_mIoU": 0.02 + 0.001 * s}) for s in range(3)]
    (rs,) = in_memory_sets(runs)
    d = paired_difference(rs, rs, "repeat_N300/std_mIoU", "repeat_N10/std_mIoU", replicates=200)
    assert d.resampled == "seeds" and d.num_images is None
    # paired by seed: every replicate is exactly -0.016 (the per-seed difference is constant)
    assert abs(d.low + 0.016) < 1e-15 and abs(d.high + 0.016) < 1e-15
    single = in_memory_sets([in_memory_run("m", "x", 0, None, {"e/v": 0.5}), in_memory_run("m", "y", 0, None,
                                                                                          {"e/v": 0.4})])
    d1 = paired_difference(*single, "e/v")
    assert d1.low is None and d1.resampled == "none" and any("no interval" in n for n in d1.notes)


def test_refuses_other_benchmarks_data_or_images():
    rng = np.random.default_rng(4)
    diff = rng.uniform(0, 0.3, 20)
    base = in_memory_run("m", "a", 0, random_semantic(rng, diff))
    for other, match in ((in_memory_run("m", "b", 0, random_semantic(rng, diff), benchmark="embedded"), "benchmark"),
                         (in_memory_run("m", "b", 0, random_semantic(rng, diff), content="data1"), "different data"),
                         (in_memory_run("m", "b", 0, random_semantic(rng, rng.uniform(0, .3, 21))), "image lists")):
        with pytest.raises(DataError, match=match):
            paired_difference(*in_memory_sets([base, other]), "val/mIoU", replicates=10)


def test_a_per_image_file_of_another_run_is_refused():
    rng = np.random.default_rng(5)
    diff = rng.uniform(0, 0.3, 20)
    a = in_memory_run("m", "a", 0, random_semantic(rng, diff))
    b = in_memory_run("m", "b", 0, random_semantic(rng, diff))
    a._stats = random_semantic(rng, diff)  # not the statistics its metrics came from
    with pytest.raises(DataError, match="not this run's"):
        paired_difference(*in_memory_sets([a, b]), "val/mIoU", replicates=10)


def test_detection_bootstrap_over_images_and_seeds():
    """A small Mask^X-like case (200 images, 10 classes, 20 detections per image, 2+2 seeds)."""
    from wsisbench.evaluation.per_image import _COCO_THRS, DetectionStats, PerImageStats

    def run(seed, n_img=200, K=10, per=20):
        rng = np.random.default_rng(seed)
        N = n_img * per
        img, cls = np.repeat(np.arange(n_img), per), rng.integers(0, K, N)
        hit = (np.arange(N) % per < 4) & (rng.random(N) < 0.8)
        tp = np.zeros((N, 10), bool)
        tp[hit] = rng.uniform(0.4, 1.0, hit.sum())[:, None] > _COCO_THRS[None]
        det = DetectionStats("coco", _COCO_THRS, n_img, K, img, cls, rng.random(N).astype(np.float32), tp,
                             np.zeros_like(tp), np.repeat(np.arange(n_img), 4), cls[np.arange(N) % per < 4],
                             np.ones(4 * n_img, int))
        return PerImageStats("instance", [str(i) for i in range(n_img)], [det])

    runs = [in_memory_run("m", p, s, run(10 * s + k), evaluation="B") for k, p in enumerate("ab") for s in (0, 1)]
    d = paired_difference(*in_memory_sets(runs, "B"), "B/AP", replicates=500)
    assert d.resampled == "images and seeds" and not math.isnan(d.low)
    assert d.low <= d.point <= d.high and d.high - d.low > 0

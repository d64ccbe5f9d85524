"""Per-image statistics: recomputed metrics equal the evaluator's on all images, on subsets and on multisets.

Semantic (every out-of-range policy), COCO mask AP (default and custom thresholds, class subsets, ties, crowd),
VOC / VOC07 AP and ABO, on randomized inputs; the vectorized bootstrap path agrees with the exact one; the
``.npz`` round-trips.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from evalhelpers import random_coco_dataset

from wsisbench.datasets.png import write_label_png
from wsisbench.evaluation.api import evaluate_instance, evaluate_semantic
from wsisbench.evaluation.ground_truth import load_coco_gt
from wsisbench.evaluation.per_image import (
    DetectionStats,
    PerImageStats,
    SemanticStats,
    compact_scores,
    load_per_image,
    pack_bits,
    stage_file,
    unpack_bits,
)
from wsisbench.evaluation.predictions import load_instance_predictions

TOL = 1e-12


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def _close(a: float, b: float, tol: float = TOL) -> bool:
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= tol


# ----------------------------------------------------------------------------- semantic
def _semantic_case(tmp_path, seed: int, C: int, policy: str, n: int = 12):
    rng = np.random.default_rng(seed)
    pairs = []
    (tmp_path / "gt").mkdir()
    (tmp_path / "pred").mkdir()
    for i in range(n):
        h, w = (int(v) for v in rng.integers(8, 30, 2))
        g = rng.integers(0, C, (h, w))
        g[rng.random((h, w)) < 0.1] = 255
        if i % 4 == 0:
            g[g == 1] = 0  # class 1 absent from some images
        p = np.where(rng.random((h, w)) < 0.6, g, rng.integers(0, C, (h, w)))
        p[p == 255] = 0
        if policy != "error":
            p[rng.random((h, w)) < 0.05] = C + 3  # out of range
        write_label_png(tmp_path / "gt" / f"im{i}.png", g.astype(np.uint8))
        write_label_png(tmp_path / "pred" / f"im{i}.png", p.astype(np.uint8))
        pairs.append((f"im{i}", tmp_path / "gt" / f"im{i}.png"))
    return pairs


@pytest.mark.parametrize("policy,C", [("error", 5), ("background", 4), ("ignore", 6)])
def test_semantic_recompute_equals_the_entry_exactly(tmp_path, policy, C):
    pairs = _semantic_case(tmp_path, 7, C, policy)
    names = [f"c{i}" for i in range(C)]
    path = tmp_path / "per_image_val.npz"
    entry = evaluate_semantic(pairs, tmp_path / "pred", names, out_of_range=policy, split="val", progress=False,
                              per_image=path)
    assert entry["per_image"] == str(path)
    stats = load_per_image(path)
    assert stats.kind == "semantic" and stats.images == [n for n, _ in pairs]
    got = stats.metrics()
    for k, v in entry["metrics"].items():
        assert _same(got[k], v), (k, got[k], v)
    ones = np.ones((1, len(pairs)))
    for k in entry["metrics"]:
        assert _close(float(stats.compute(k, ones)[0]), entry["metrics"][k])
    # a subset of images equals evaluating that subset
    subset = [0, 3, 5, 8]
    ref = evaluate_semantic([pairs[i] for i in subset], tmp_path / "pred", names, out_of_range=policy,
                            progress=False)
    got = stats.metrics(subset)
    for k, v in ref["metrics"].items():
        assert _same(got[k], v)
    # integer dtypes only, one row per (image, class present)
    part = stats.parts[0]
    for a in (part.image, part.cls, part.tp, part.gt, part.pred):
        assert np.issubdtype(a.dtype, np.unsignedinteger)


def test_semantic_multiset_equals_a_dataset_with_repeated_images(tmp_path):
    pairs = _semantic_case(tmp_path, 3, 5, "ignore", n=8)
    names = [f"c{i}" for i in range(5)]
    entry = evaluate_semantic(pairs, tmp_path / "pred", names, out_of_range="ignore", progress=False, per_image=True)
    stats = entry["per_image"]
    sel = [0, 0, 2, 5, 5, 5, 7]
    # the same images listed several times, as a dataset would hold copies
    ref = evaluate_semantic([pairs[i] for i in sel], tmp_path / "pred", names, out_of_range="ignore", progress=False)
    got = stats.metrics(sel)
    weights = np.bincount(sel, minlength=len(pairs))[None].astype(float)
    for k, v in ref["metrics"].items():
        assert _same(got[k], v)
        assert _close(float(stats.compute(k, weights)[0]), v)


def test_semantic_rows_keep_only_nonzero_classes():
    counts = np.zeros((4, 5), dtype=np.int64)
    counts[0, 0] = 10
    counts[2, 1] = 3  # class 2 missed as 1: row 2 and column 1 nonzero
    counts[3, 4] = 2  # class 3 predicted out of range ('ignore'): row only
    s = SemanticStats.from_counts([counts], 4)
    assert s.cls.tolist() == [0, 1, 2, 3]
    assert s.tp.tolist() == [10, 0, 0, 0] and s.gt.tolist() == [10, 0, 3, 2] and s.pred.tolist() == [10, 3, 0, 0]


# ----------------------------------------------------------------------------- instance
def _instance(seed, ties=False, num_images=100, crowd=True):
    gt_dict, results = random_coco_dataset(seed, num_images=num_images, ties=ties, crowd=crowd)
    gt = load_coco_gt(gt_dict)
    return gt_dict, results, gt, load_instance_predictions(results, gt)


CASES = [
    dict(protocol="coco", voc_style=False, abo=False),  # Mask^X: AP 0.5:0.95, AP50, AP75
    dict(protocol="coco", voc_style=False, abo=False, classes=[2, 3, 5]),  # a class subset ('B')
    dict(protocol="coco", voc_style=True),  # CIM style: mAP@0.25/0.5/0.7/0.75 + ABO
    dict(protocol="voc"),
    dict(protocol="voc07"),
]


@pytest.mark.parametrize("seed,ties", [(0, False), (1, True), (2, False)])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_instance_recompute_equals_the_evaluator(tmp_path, seed, ties, case):
    kw = CASES[case]
    _, _, gt, preds = _instance(seed, ties)
    path = tmp_path / "per_image_B.npz"
    entry = evaluate_instance(gt, preds, per_image=path, **kw)
    stats = load_per_image(path)
    assert stats.kind == "instance" and len(stats.images) == len(gt.images)
    names = set(stats.metric_names)
    if kw["protocol"] == "coco" and not kw.get("voc_style"):
        assert {"AP", "AP50", "AP75", "AR100"} == names
    else:
        assert {f"mAP@{t:g}" for t in entry["iou_thrs"]} <= names
    if entry["metrics"].get("ABO") is not None:
        assert {"ABO", "ABO_class_mean"} <= names
    exact = stats.metrics()
    ones = np.ones((2, len(stats.images)))
    for k in names:
        ref = entry["metrics"][k]
        tol = TOL if kw["protocol"] == "coco" else 0.0  # coco: faster-coco-eval's C++ sums
        assert _close(exact[k], ref, tol), (k, exact[k], ref)
        vec = stats.compute(k, ones)
        assert _close(float(vec[0]), ref) and _close(float(vec[1]), ref), (k, vec, ref)


@pytest.mark.parametrize("kw", [CASES[0], CASES[2], CASES[3], CASES[4]])
def test_instance_subset_and_multiset_equal_a_dataset_of_those_images(kw):
    """Scores are distinct: a dataset holding copies of images is then exactly the weighted statistics."""
    gt_dict, results, gt, preds = _instance(4, ties=False, num_images=50)
    stats = evaluate_instance(gt, preds, per_image=True, **kw)["per_image"]
    rng = np.random.default_rng(0)
    for sel in (np.sort(rng.choice(len(gt.images), 20, replace=False)), np.sort(rng.integers(0, 50, 50))):
        by_id = {im["id"]: im for im in gt_dict["images"]}
        d2 = {"images": [], "annotations": [], "categories": gt_dict["categories"]}
        r2 = []
        for n, i in enumerate(sel):
            old, new = gt.images[i].id, 100_000 + n
            d2["images"].append(dict(by_id[old], id=new))
            d2["annotations"] += [dict(a, id=len(d2["annotations"]) + j + 1, image_id=new)
                                  for j, a in enumerate(a for a in gt_dict["annotations"] if a["image_id"] == old)]
            r2 += [dict(r, image_id=new) for r in results if r["image_id"] == old]
        gt2 = load_coco_gt(d2)
        ref = evaluate_instance(gt2, load_instance_predictions(r2, gt2), **kw)["metrics"]
        got = stats.metrics(sel)
        weights = np.bincount(sel, minlength=len(gt.images))[None].astype(float)
        for k in stats.metric_names:
            assert _close(got[k], ref[k]), (k, got[k], ref[k])
            assert _close(float(stats.compute(k, weights)[0]), ref[k]), k


def test_vectorized_rows_are_independent_replicates():
    _, _, gt, preds = _instance(5, num_images=60)
    stats = evaluate_instance(gt, preds, protocol="coco", voc_style=False, abo=False, per_image=True)["per_image"]
    rng = np.random.default_rng(1)
    W = rng.multinomial(60, np.full(60, 1 / 60), size=5).astype(float)
    batch = stats.compute("AP", W)
    for b in range(5):
        sel = np.repeat(np.arange(60), W[b].astype(int))
        assert _close(float(batch[b]), stats.metrics(sel)["AP"])


# ----------------------------------------------------------------------------- storage
def test_scores_are_float32_only_when_every_comparison_survives():
    s = np.array([0.1, 0.5, 0.5, 0.9])
    assert compact_scores(s).dtype == np.float32
    close = np.array([0.5, 0.5 + 1e-12])  # distinct in float64, equal in float32
    assert compact_scores(close).dtype == np.float64


def test_bits_round_trip():
    rng = np.random.default_rng(0)
    for T in (1, 4, 10, 17):
        flags = rng.random((30, T)) < 0.4
        assert np.array_equal(unpack_bits(pack_bits(flags), T), flags)


def test_npz_round_trip_and_size(tmp_path):
    _, _, gt, preds = _instance(6, num_images=100)
    entry = evaluate_instance(gt, preds, protocol="coco", voc_style=True, per_image=True)
    stats: PerImageStats = entry["per_image"]
    path = stats.save(tmp_path / "s.npz")
    back = load_per_image(path)
    assert back.images == stats.images and back.metrics() == stats.metrics()
    det = back.parts[0]
    assert isinstance(det, DetectionStats) and det.det_score.dtype in (np.float32, np.float64)
    assert path.stat().st_size < 40 * 1024


def test_stage_file_names_the_final_stage_folder(tmp_path):
    path, ref = stage_file(tmp_path / "evaluate.partial", "pseudo_train")
    assert path == tmp_path / "evaluate.partial" / "per_image_pseudo_train.npz"
    assert ref == "evaluate/per_image_pseudo_train.npz"

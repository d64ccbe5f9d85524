"""Mask proposals: the OpenCV generators, user files (MCG .mat, .npz, RLE json), best-overlap recall, the store."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from scipy.io import savemat

from wsisbench.datasets.rle import encode_masks, json_rle
from wsisbench.errors import DataError, UnknownNameError
from wsisbench.proposals import (
    ProposalStore,
    best_overlap_recall,
    load_proposal_file,
    mask_iou_matrix,
    mask_proposals,
    save_proposal_file,
)

METHODS = ("selective_search", "graph")


def disc_scene(size: int = 96, noise: float = 6.0, rng_state: int = 0):
    """``(image uint8 [S, S, 3] BGR, disc mask bool [S, S])``: a shaded, noisy background with one red disc."""
    rng = np.random.default_rng(rng_state)
    yy, xx = np.mgrid[:size, :size]
    image = np.stack([110 + 0.3 * xx, 150 - 0.2 * yy, 90 + 0 * xx], -1).astype(float)
    disc = np.hypot(yy - 52, xx - 40) < 17
    image[disc] = (40, 50, 200)
    image += rng.normal(0, noise, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8), disc


# ----------------------------------------------------------------------------- generators
@pytest.mark.parametrize("method", METHODS)
def test_proposals_shape_dtype_and_invariants(method):
    image, _ = disc_scene()
    masks = mask_proposals(image, method, max_proposals=40)
    assert masks.dtype == bool and masks.ndim == 3 and masks.shape[1:] == image.shape[:2]
    assert 0 < masks.shape[0] <= 40
    assert masks.reshape(masks.shape[0], -1).any(1).all(), "empty masks must be removed"
    iou = mask_iou_matrix(masks, masks)
    np.fill_diagonal(iou, 0)
    assert iou.max() <= 0.95, "near-duplicates (IoU > 0.95) must be removed"


@pytest.mark.parametrize("method", METHODS)
def test_proposals_are_deterministic_and_ranked(method):
    image, _ = disc_scene()
    first = mask_proposals(image, method)
    previous = cv2.getNumThreads()
    cv2.setNumThreads(2)  # a different thread setting outside the call must not matter
    try:
        second = mask_proposals(image.copy(), method)
    finally:
        cv2.setNumThreads(previous)
    assert np.array_equal(first, second)
    assert cv2.getNumThreads() == previous
    # the cap keeps the head of the ranking
    head = mask_proposals(image, method, max_proposals=5)
    assert np.array_equal(head, first[:5])


@pytest.mark.parametrize("method,options", [("selective_search", {}), ("selective_search", {"mode": "quality"}),
                                            ("selective_search", {"mode": "single", "min_inside": 0.9}),
                                            ("graph", {})])
def test_proposals_recover_a_disc(method, options):
    image, disc = disc_scene()
    masks = mask_proposals(image, method, **options)
    result = best_overlap_recall([masks], [disc[None]])
    assert result["abo"] > 0.8, result


def test_selective_search_rank_seed_changes_the_order():
    image, _ = disc_scene(noise=25.0)
    a = mask_proposals(image, rank_seed=1)
    b = mask_proposals(image, rank_seed=2)
    assert a.shape[0] > 10
    # OpenCV's ranking is randomised: another state of the C generator, another order
    assert not np.array_equal(a, b)
    assert np.array_equal(a, mask_proposals(image, rank_seed=1))


def test_proposals_reject_bad_input():
    image, _ = disc_scene()
    with pytest.raises(UnknownNameError, match="selective_search"):
        mask_proposals(image, "mcg")
    with pytest.raises(UnknownNameError, match="selective_search option .nonsense.*min_inside"):
        mask_proposals(image, "selective_search", nonsense=1)
    with pytest.raises(ValueError, match="mode"):
        mask_proposals(image, mode="slow")
    with pytest.raises(ValueError, match="uint8"):
        mask_proposals(image.astype(np.float32))
    with pytest.raises(ValueError, match=r"\[H, W, 3\]"):
        mask_proposals(image[..., 0])
    assert mask_proposals(image, max_proposals=0).shape == (0,) + image.shape[:2]


def test_proposals_on_a_real_voc_image(shared_data):
    """The PASCAL VOC sample (a dog and a chair), at half size: selective search finds the dog."""
    from wsisbench.datasets.voc_instances import load_voc_instances

    root = shared_data / "voc_sample" / "VOC2012"
    image = cv2.imread(str(root / "JPEGImages" / "2007_000063.jpg"))
    gt, labels = load_voc_instances(root / "SegmentationObject" / "2007_000063.png",
                                    root / "SegmentationClass" / "2007_000063.png")
    small = cv2.resize(image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    size = (small.shape[1], small.shape[0])
    gt = np.stack([cv2.resize(m.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST).astype(bool) for m in gt])
    dog = int(np.flatnonzero(labels == 11)[0])  # VOC class 12 'dog', 0-based
    result = best_overlap_recall([mask_proposals(small)], [gt])
    assert result["best_overlaps"][dog] > 0.6, result


# ----------------------------------------------------------------------------- files
def _grid_superpixels():
    """A 6 x 8 label image of six 3 x ... blocks (ids 1..6) and two MCG-style proposals over it."""
    sp = np.repeat(np.repeat(np.arange(1, 7).reshape(2, 3), 3, axis=0), [3, 3, 2], axis=1)
    expected = np.stack([np.isin(sp, [1, 2]), np.isin(sp, [3, 5, 6])])
    cell = np.empty((2, 1), dtype=object)
    cell[0, 0] = np.array([[1], [2]], dtype=np.float64)  # MATLAB stores ids as double column vectors
    cell[1, 0] = np.array([[3, 5, 6]], dtype=np.uint32)
    return sp, cell, expected


def test_mcg_mat_round_trip(tmp_path):
    sp, cell, expected = _grid_superpixels()
    top = tmp_path / "top.mat"
    savemat(top, {"superpixels": sp.astype(np.uint16), "labels": cell, "scores": np.array([[0.9], [0.4]])})
    masks = load_proposal_file(top, image_shape=(6, 8, 3))
    assert masks.dtype == bool and np.array_equal(masks, expected)

    nested = tmp_path / "nested.mat"
    savemat(nested, {"candidates": {"superpixels": sp.astype(np.double), "labels": cell}})
    assert np.array_equal(load_proposal_file(nested), expected)


def test_mcg_mat_errors_name_the_file(tmp_path):
    sp, cell, _ = _grid_superpixels()
    no_labels = tmp_path / "no_labels.mat"
    savemat(no_labels, {"superpixels": sp})
    with pytest.raises(DataError, match=r"no_labels\.mat.*'labels'"):
        load_proposal_file(no_labels)
    bad_ids = tmp_path / "bad_ids.mat"
    cell[1, 0] = np.array([[3, 9]])
    savemat(bad_ids, {"superpixels": sp, "labels": cell})
    with pytest.raises(DataError, match=r"bad_ids\.mat.*entry 1.*1\.\.6"):
        load_proposal_file(bad_ids)
    numeric = tmp_path / "numeric.mat"
    savemat(numeric, {"superpixels": sp, "labels": np.array([[1, 2], [3, 4]])})
    with pytest.raises(DataError, match=r"numeric\.mat.*cell array"):
        load_proposal_file(numeric)
    sp_path = tmp_path / "shape.mat"
    savemat(sp_path, {"superpixels": sp, "labels": _grid_superpixels()[1]})
    with pytest.raises(DataError, match=r"shape\.mat.*6x8.*10x8"):
        load_proposal_file(sp_path, image_shape=(10, 8))


def test_npz_and_rle_round_trip(tmp_path):
    image, disc = disc_scene(size=37)  # H * W not a multiple of 8: the packing must still round-trip
    masks = np.stack([disc, ~disc, np.eye(37, dtype=bool)])
    path = save_proposal_file(tmp_path / "a.npz", masks, scores=np.array([0.3, 0.2, 0.1]))
    assert np.array_equal(load_proposal_file(path, image_shape=image.shape), masks)
    assert not list(tmp_path.glob(".*tmp*")), "atomic write leaves no temporary file"

    plain = tmp_path / "plain.npz"
    np.savez(plain, masks=masks.astype(np.uint8))
    assert np.array_equal(load_proposal_file(plain), masks)

    rle = tmp_path / "a.json"
    rle.write_text(json.dumps([json_rle(r) for r in encode_masks(masks)]))
    assert np.array_equal(load_proposal_file(rle), masks)
    results_style = tmp_path / "b.json"
    results_style.write_text(json.dumps({"proposals": [{"segmentation": json_rle(r), "score": 1.0}
                                                       for r in encode_masks(masks)]}))
    assert np.array_equal(load_proposal_file(results_style, image_shape=(37, 37)), masks)
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    assert load_proposal_file(empty, image_shape=(5, 7)).shape == (0, 5, 7)


def test_file_errors_name_the_file(tmp_path):
    with pytest.raises(DataError, match=r"missing\.npz: proposal file not found"):
        load_proposal_file(tmp_path / "missing.npz")
    with pytest.raises(DataError, match=r"a\.txt.*supported: \.mat, \.npz, \.json"):
        load_proposal_file(tmp_path / "a.txt")
    path = save_proposal_file(tmp_path / "small.npz", np.zeros((2, 4, 5), bool))
    with pytest.raises(DataError, match=r"small\.npz: proposals are 4x5 .* image is 8x5"):
        load_proposal_file(path, image_shape=(8, 5))
    other = tmp_path / "other.npz"
    np.savez(other, boxes=np.zeros((3, 4)))
    with pytest.raises(DataError, match=r"other\.npz.*found: boxes"):
        load_proposal_file(other)
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip file")
    with pytest.raises(DataError, match=r"broken\.npz: cannot read"):
        load_proposal_file(broken)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text(json.dumps([[1, 2, 3, 4, 5, 6]]))
    with pytest.raises(DataError, match=r"bad\.json: entry 0"):
        load_proposal_file(bad_json)


# ----------------------------------------------------------------------------- recall
def test_best_overlap_recall_hand_computed():
    gt1 = np.zeros((10, 10), bool)
    gt1[0:4, 0:4] = True      # 16 px
    gt2 = np.zeros((10, 10), bool)
    gt2[5:10, 5:10] = True    # 25 px
    p1 = np.zeros((10, 10), bool)
    p1[0:4, 0:2] = True       # 8 px inside gt1: IoU 0.5
    p2 = np.zeros((10, 10), bool)
    p2[5:10, 5:9] = True      # 20 px inside gt2: IoU 0.8
    gt3 = np.zeros((6, 6), bool)
    gt3[1:3, 1:3] = True      # an image without proposals: best overlap 0
    result = best_overlap_recall([np.stack([p1, p2]), np.zeros((0, 6, 6), bool)],
                                 [np.stack([gt1, gt2]), gt3[None]])
    assert result["abo"] == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    assert result["recall@0.5"] == pytest.approx(2 / 3)   # IoU >= t counts
    assert result["recall@0.7"] == pytest.approx(1 / 3)
    assert result["num_gt"] == 3 and result["num_images"] == 2
    assert result["mean_proposals"] == pytest.approx(1.0)
    np.testing.assert_allclose(result["best_overlaps"], [0.5, 0.8, 0.0])

    empty = best_overlap_recall([np.zeros((1, 4, 4), bool)], [np.zeros((0, 4, 4), bool)], thresholds=(0.3,))
    assert empty["num_gt"] == 0 and np.isnan(empty["abo"]) and np.isnan(empty["recall@0.3"])
    with pytest.raises(ValueError, match="2 proposal sets for 1"):
        best_overlap_recall([p1[None], p1[None]], [gt1[None]])


# ----------------------------------------------------------------------------- store
class CountingLoader:
    def __init__(self):
        self.calls = []

    def __call__(self, image_id):
        self.calls.append(image_id)
        return disc_scene(size=48, rng_state=int(image_id[-1]))[0]


def test_store_caches_and_keys_by_options(tmp_path):
    loader = CountingLoader()
    store = ProposalStore(tmp_path, "selective_search", {"max_proposals": 50})
    first = store.get("img_0", loader)
    assert loader.calls == ["img_0"] and store.misses == 1
    again = ProposalStore(tmp_path, "selective_search", {"max_proposals": 50, "mode": "fast"})  # the default, named
    assert again.dir == store.dir
    second = again.get("img_0", loader)
    assert loader.calls == ["img_0"] and again.hits == 1, "the second call must read the cache"
    assert np.array_equal(first, second)
    assert np.array_equal(first, mask_proposals(loader("img_0"), max_proposals=50))
    loader.calls.clear()

    other = ProposalStore(tmp_path, "selective_search", {"max_proposals": 50, "mode": "single"})
    assert other.dir != store.dir
    other.get("img_0", loader)
    assert loader.calls == ["img_0"], "a different option set must not read another setting's cache"
    assert ProposalStore(tmp_path, "graph", {"max_proposals": 50}).dir != store.dir
    assert json.loads((store.dir / "store.json").read_text())["options"]["max_proposals"] == 50
    assert not [p for p in store.dir.iterdir() if "tmp" in p.name], "atomic writes leave no temporary file"


def test_store_ensure_and_recovery(tmp_path):
    loader = CountingLoader()
    store = ProposalStore(tmp_path, "graph", {"max_proposals": 20, "ks": [100, 300]})
    assert store.ensure(["a_1", "a_2"], loader, disable_progress=True) == {"computed": 2, "cached": 0}
    assert store.ensure(["a_1", "a_2", "a_3"], loader, disable_progress=True) == {"computed": 1, "cached": 2}
    assert loader.calls == ["a_1", "a_2", "a_3"]
    store.path("a_2").write_bytes(b"truncated")  # an unreadable cache file is computed again
    masks = store.get("a_2", loader)
    assert masks.shape[0] > 0 and loader.calls[-1] == "a_2" and store.misses == 1
    assert np.array_equal(store.get("a_2", loader), masks) and store.hits == 1
    with pytest.raises(ValueError, match="cache file"):
        store.path("../escape")
    with pytest.raises(UnknownNameError, match="option"):
        ProposalStore(tmp_path, "graph", {"mode": "fast"})


# ----------------------------------------------------------------------------- split evaluation and CLI
def test_split_evaluation_and_cli_on_the_voc_sample(shared_data, tmp_path, capsys):
    from wsisbench.cli.main import main
    from wsisbench.proposals.evaluate import evaluate_proposals, format_recall_table, voc_split_samples

    root = shared_data / "voc_sample"
    samples = voc_split_samples(root, "sample")
    assert [s.image_id for s in samples] == ["2007_000063"] and samples[0].gt_masks.shape[0] == 2
    options = {"ks": [1000], "sigmas": [0.8], "color_spaces": ["bgr"]}  # one segmentation: fast at 500 x 375
    row = evaluate_proposals(samples, "graph", 10, options, tmp_path, disable_progress=True)
    assert row["num_gt"] == 2 and row["mean_proposals"] == 10 and 0 < row["abo"] <= 1
    assert "graph" in format_recall_table([row]) and "ks=[1000]" in format_recall_table([row])

    code = main(["proposals", "--benchmark", "voc2012", "--data-root", str(root), "--split", "sample",
                 "--method", "graph", "--max-proposals", "10", "--option", "ks=[1000]", "--option",
                 "sigmas=[0.8]", "--option", "color_spaces=['bgr']", "--out", str(tmp_path)])
    assert code == 0
    assert "0 computed, 1 already cached" in capsys.readouterr().out  # the same setting as evaluate_proposals
    assert main(["proposals", "--benchmark", "voc2012", "--data-root", str(root), "--split", "sample",
                 "--option", "nope=1", "--out", str(tmp_path)]) == 2
    assert "unknown selective_search option 'nope'" in capsys.readouterr().err

"""The mechanism benchmark: parts and bodies, shape families and splits, same-class multiples, the opt-in
label-noise and imbalance views, determinism, layout consistency and the regime measure."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from wsisbench.benchmarks import get_benchmark
from wsisbench.benchmarks.mechanism import (
    BASE_CLASSES,
    FAMILIES,
    MECHANISM_CLASS_SPLIT,
    MechanismParams,
    family_members,
    generate_mechanism,
    load_meta,
    make_image,
    part_body_recall,
    published_labels,
    random_class_split,
)
from wsisbench.benchmarks.mechanism.appearance import BODY_PATTERNS
from wsisbench.benchmarks.synthetic.textures import BACKGROUNDS
from wsisbench.datasets import check_dataset
from wsisbench.errors import WsisbenchError

SMALL = {"num_train": 60, "num_val": 40, "seed": 0}
NOISY = {"num_train": 40, "num_val": 20, "seed": 1, "person_rate": 0.6, "person_label_drop": 0.5}


@pytest.fixture(scope="module")
def bench(tmp_path_factory) -> Path:
    return generate_mechanism(tmp_path_factory.mktemp("mech") / "bench", progress=False, **SMALL)


@pytest.fixture(scope="module")
def noisy(tmp_path_factory) -> Path:
    return generate_mechanism(tmp_path_factory.mktemp("mech") / "noisy", progress=False, **NOISY)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _png(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.array(im)


def _coco(root: Path, split: str) -> dict:
    return json.loads((root / "annotations" / f"instances_{split}.json").read_text())


def _anns_by_file(coco: dict) -> dict[str, list[dict]]:
    by_id = {im["id"]: im["file_name"] for im in coco["images"]}
    out: dict[str, list[dict]] = {name: [] for name in by_id.values()}
    for ann in coco["annotations"]:
        out[by_id[ann["image_id"]]].append(ann)
    return out


def _label_lists(path: Path) -> dict[str, list[int]]:
    out = {}
    for line in path.read_text().splitlines():
        iid, *labels = line.split()
        out[iid] = [int(c) for c in labels]
    return out


# ------------------------------------------------------------------------------------------ classes, splits

def test_classes_and_families(bench):
    meta = load_meta(bench)
    assert meta["num_classes"] == len(meta["classes"]) >= 40
    assert len(meta["families"]) >= 8
    members = [c for f in meta["families"].values() for c in f["members"]]
    assert sorted(members) == sorted(meta["classes"])  # every class in exactly one family
    # members of a family differ in part hue and body parameter, share outline, pattern and part shape
    for f in FAMILIES:
        cls = [c for c in BASE_CLASSES if c.family == f.name]
        assert len({c.part_hue for c in cls}) == len({c.value for c in cls}) == len(cls)
    # a part (shape, hue) names exactly one class
    assert len({(c.part, round(c.part_hue)) for c in BASE_CLASSES}) == len(BASE_CLASSES)
    # body patterns are never background textures
    assert not set(BODY_PATTERNS) & {"stripes", "checker", "speckle", "gradient", "crosshatch", *BACKGROUNDS}


def test_fixed_split_has_every_family_on_both_sides(bench):
    meta = load_meta(bench)
    splits = meta["class_splits"]
    assert set(splits["A"]).isdisjoint(splits["B"]) and set(splits["A"]) | set(splits["B"]) == set(meta["classes"])
    for fam, info in meta["families"].items():
        assert set(info["members"]) & set(splits["A"]) and set(info["members"]) & set(splits["B"]), fam
    spec = get_benchmark("mechanism")
    assert spec.embedded and spec.layouts == ("voc", "coco", "lid")
    assert {k: tuple(v) for k, v in splits.items()} == dict(spec.class_splits)
    assert dict(spec.class_splits) == MECHANISM_CLASS_SPLIT


@pytest.mark.parametrize("num_a", [10, 15, 20, 25, 30])
def test_random_class_split(num_a):
    a, b = random_class_split(num_a, seed=3)
    assert len(a) == num_a and len(a) + len(b) == len(BASE_CLASSES) and set(a).isdisjoint(b)
    for fam, members in family_members().items():
        assert set(members) & set(a) and set(members) & set(b), fam
    assert random_class_split(num_a, seed=3) == (a, b)
    assert random_class_split(num_a, seed=4) != (a, b)


# ---------------------------------------------------------------------------------------------- content

def test_part_fraction_per_instance(bench):
    meta = load_meta(bench)
    lo, hi = meta["parts"]["visible_part_range"]
    assert (lo, hi) == (0.10, 0.20)
    fractions = []
    for split in ("train", "val"):
        for file_name, anns in _anns_by_file(_coco(bench, split)).items():
            part_map = _png(bench / "VOC2012/SegmentationPart" / file_name.replace(".jpg", ".png"))
            obj = _png(bench / "VOC2012/SegmentationObject" / file_name.replace(".jpg", ".png"))
            for j, ann in enumerate(anns, start=1):
                f = ann["part_area"] / ann["area"]
                assert lo <= f <= hi, (file_name, j, f)
                fractions.append(f)
                # the part map agrees: part pixels outside the void band lie inside the instance's part
                inside = obj == j
                assert 0 < int((part_map[inside] == 1).sum()) <= ann["part_area"]
                assert set(np.unique(part_map[inside]).tolist()) <= {1, 2}
    assert meta["summary"]["mean_part_fraction"] == pytest.approx(np.mean(fractions), abs=1e-3)


def test_part_map_matches_class_map(bench):
    for iid in (bench / "VOC2012/ImageSets/Segmentation/trainval.txt").read_text().split()[::7]:
        part = _png(bench / "VOC2012/SegmentationPart" / f"{iid}.png")
        cls = _png(bench / "VOC2012/SegmentationClass" / f"{iid}.png")
        assert set(np.unique(part).tolist()) <= {0, 1, 2, 255}
        assert np.array_equal(part == 255, cls == 255)
        assert np.array_equal(part == 0, cls == 0)


def test_same_class_multiples(bench):
    meta = load_meta(bench)
    for split in ("train", "val"):
        anns = _anns_by_file(_coco(bench, split))
        multi = [max(Counter(a["category_id"] for a in al).values(), default=0) >= 2 for al in anns.values()]
        share = float(np.mean(multi))
        assert share >= 0.4
        assert meta["counts"][split]["share_same_class_multiples"] == pytest.approx(share, abs=1e-3)
        assert max(len(al) for al in anns.values()) <= 6
        assert meta["counts"][split]["images_with_touching_same_class"] > 0
        assert meta["counts"][split]["images_with_apart_same_class"] > 0
    assert meta["summary"]["share_same_class_multiples"] >= 0.4


def test_low_contrast_and_clutter_present(bench):
    counts = load_meta(bench)["counts"]["train"]
    assert counts["low_contrast_instances"] > 0 and counts["clutter_blobs"] > 0


# ------------------------------------------------------------------------------------ determinism, layouts

def test_regeneration_is_byte_identical(bench, tmp_path):
    again = generate_mechanism(tmp_path / "again", progress=False, workers=2, **SMALL)  # other worker count
    a, b = _files(bench), _files(again)
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []


def test_images_do_not_depend_on_other_split_size():
    p1, p2 = MechanismParams(**SMALL), MechanismParams(**dict(SMALL, num_train=5))
    for i in (0, 3):
        assert np.array_equal(make_image(p1, "val", i).scene.image, make_image(p2, "val", i).scene.image)


def test_check_dataset_passes(bench):
    report = check_dataset(["voc", "coco", "lid"], bench, show_progress=False)
    assert report.ok, report.format_problems()


def test_coco_matches_segmentation_object(bench):
    for split in ("train", "val"):
        coco = _coco(bench, split)
        assert coco["info"]["description"] == "wsisbench mechanism benchmark"
        for file_name, anns in _anns_by_file(coco).items():
            obj = _png(bench / "VOC2012/SegmentationObject" / file_name.replace(".jpg", ".png"))
            cls = _png(bench / "VOC2012/SegmentationClass" / file_name.replace(".jpg", ".png"))
            assert obj.max(initial=0) in (len(anns), 255) and len(set(np.unique(obj)) - {0, 255}) == len(anns)
            for j, ann in enumerate(anns, start=1):
                m = mask_utils.decode(ann["segmentation"]).astype(bool)
                assert np.array_equal(m & (obj != 255), obj == j), (file_name, j)
                assert set(np.unique(cls[obj == j]).tolist()) == {ann["category_id"]}
                assert ann["area"] == m.sum()


def test_label_lists_complete_by_default(bench):
    for split in ("train", "val"):
        lists = _label_lists(bench / "VOC2012/ImageLabels" / f"{split}.txt")
        for iid, labels in lists.items():
            cls = _png(bench / "VOC2012/SegmentationClass" / f"{iid}.png")
            assert labels == sorted(set(np.unique(cls).tolist()) - {0, 255})
    assert _label_lists(bench / "LID/train.txt") == _label_lists(bench / "VOC2012/ImageLabels/train.txt")
    assert load_meta(bench)["views"] == {"label_noise": None, "imbalance": None}


# ----------------------------------------------------------------------------------------------- views

def test_person_labels_dropped_in_train_only(noisy):
    meta = load_meta(noisy)
    person = meta["label_indices"]["person"]
    assert meta["classes"][-1] == "person" and "person" in meta["class_splits"]["A"]
    dropped = set(meta["views"]["label_noise"]["dropped_ids"])
    assert dropped and meta["counts"]["train"]["person_labels_dropped"] == len(dropped)
    lid, voc = _label_lists(noisy / "LID/train.txt"), _label_lists(noisy / "VOC2012/ImageLabels/train.txt")
    assert lid == voc
    coco = _anns_by_file(_coco(noisy, "train"))
    n_person = 0
    for iid, labels in lid.items():
        cls = _png(noisy / "VOC2012/SegmentationClass" / f"{iid}.png")
        truth = sorted(set(np.unique(cls).tolist()) - {0, 255})
        has_person = person in truth
        n_person += has_person
        # pixel and instance ground truth of train stay complete; only the label lists lose 'person'
        assert has_person == any(a["category_id"] == person for a in coco[f"{iid}.jpg"])
        expected = [c for c in truth if not (iid in dropped and c == person)]
        assert labels == expected and labels  # the person always co-occurs with another class
        assert (iid in dropped) <= has_person
    assert n_person == meta["counts"]["train"]["images_with_person"] > len(dropped)
    # validation ground truth intact
    for iid, labels in _label_lists(noisy / "VOC2012/ImageLabels/val.txt").items():
        gt = _png(noisy / "LID/val_annotations" / f"{iid}.png")
        assert labels == sorted(set(np.unique(gt).tolist()) - {0, 255})
    assert meta["counts"]["val"]["images_with_person"] > 0
    assert "person_labels_dropped" in meta["counts"]["val"] and meta["counts"]["val"]["person_labels_dropped"] == 0
    assert check_dataset(["voc", "coco", "lid"], noisy, show_progress=False).ok


def test_drop_rate_changes_labels_not_images():
    a = MechanismParams(**NOISY)
    b = MechanismParams(**dict(NOISY, person_label_drop=0.0))
    assert a.digest() != b.digest()
    for i in range(4):
        sa, sb = make_image(a, "train", i), make_image(b, "train", i)
        assert np.array_equal(sa.scene.image, sb.scene.image)
        assert published_labels(b, "train", i, sb) == sb.scene.labels


def test_imbalance_reduces_rare_classes():
    n = 120
    names = [c.name for c in BASE_CLASSES]
    weights = list(MechanismParams(imbalance=0.1).scene_params("train").class_weights)
    rare = {i + 1 for i, w in enumerate(weights) if w < 0.2}
    frequent = {i + 1 for i, w in enumerate(weights) if w > 0.6}
    assert len(rare) >= 10 and len(frequent) >= 5

    def count(params, split):
        c = Counter(inst.label for i in range(n) for inst in make_image(params, split, i).scene.instances)
        return sum(c[k] for k in rare) / len(rare), sum(c[k] for k in frequent) / len(frequent)

    skewed, balanced = MechanismParams(num_train=n, imbalance=0.1), MechanismParams(num_train=n)
    rare_s, freq_s = count(skewed, "train")
    rare_b, freq_b = count(balanced, "train")
    assert rare_s < 0.5 * rare_b and rare_s < 0.35 * freq_s
    assert freq_s > freq_b
    # the validation split stays balanced (same images as without the view)
    assert np.array_equal(make_image(skewed, "val", 0).scene.image, make_image(balanced, "val", 0).scene.image)
    assert len(names) == len(weights)


def test_parameter_checks():
    with pytest.raises(WsisbenchError, match="person_label_drop needs person_rate"):
        MechanismParams(person_label_drop=0.3)
    with pytest.raises(WsisbenchError, match="imbalance"):
        MechanismParams(imbalance=0.0)
    assert MechanismParams().digest() != MechanismParams(person_rate=0.5).digest()


def test_body_family_random_makes_the_part_the_only_cue():
    own = MechanismParams(num_train=80, num_val=10, member_cue="part")
    rand = MechanismParams(num_train=80, num_val=10, member_cue="part", body_family="random")
    family_of = {c.name: c.family for c in BASE_CLASSES}
    pairs = Counter()
    for i in range(80):
        scene_own, scene_rand = make_image(own, "train", i), make_image(rand, "train", i)
        for inst, part in zip(scene_own.scene.instances, scene_own.parts, strict=True):
            assert part.body_family == family_of[BASE_CLASSES[inst.label - 1].name]
        for inst, part in zip(scene_rand.scene.instances, scene_rand.parts, strict=True):
            pairs[(BASE_CLASSES[inst.label - 1].family, part.body_family)] += 1
    # bodies are drawn independently of the class: most instances wear another family's body, and every
    # family's classes wear several families' bodies
    total = sum(pairs.values())
    assert sum(n for (f, b), n in pairs.items() if f != b) > 0.7 * total
    for family in FAMILIES:
        assert len({b for (f, b) in pairs if f == family.name}) >= 4
    # an option at its default does not enter the parameter hash (existing instances keep their directory)
    assert MechanismParams(member_cue="part", body_family="own").digest() == MechanismParams(member_cue="part").digest()
    assert rand.digest() != MechanismParams(member_cue="part").digest()
    with pytest.raises(WsisbenchError, match="body_family='random' needs member_cue='part'"):
        MechanismParams(body_family="random")


# --------------------------------------------------------------------------------------- regime measure

def test_part_body_recall_hand_made():
    # one object of class 3: a 2x2 part (value 1) at the left of a 2x4 body (value 2); a void pixel
    class_map = np.array([[0, 0, 0, 0, 0, 0, 0],
                          [0, 3, 3, 3, 3, 3, 3],
                          [0, 3, 3, 3, 3, 3, 255]], np.uint8)
    part_map = np.array([[0, 0, 0, 0, 0, 0, 0],
                         [0, 1, 1, 2, 2, 2, 2],
                         [0, 1, 1, 2, 2, 2, 255]], np.uint8)
    seeds = np.array([[1, 3, 255, 0, 0, 0, 0],     # a wrong seed on background, a class-3 seed on background
                      [0, 3, 3, 3, 255, 5, 255],   # part hit x2, body hit x1, wrong class on body
                      [255, 3, 0, 255, 255, 255, 3]], np.uint8)  # part hit, bg seed on part, seed on void
    r = part_body_recall(seeds, class_map, part_map)
    assert (r["part_pixels"], r["body_pixels"]) == (4, 7)
    assert (r["part_hits"], r["body_hits"]) == (3, 1)
    assert r["part_recall"] == pytest.approx(3 / 4) and r["body_recall"] == pytest.approx(1 / 7)
    assert r["seed_pixels"] == 7 and r["correct_seed_pixels"] == 4  # void pixel left out
    assert r["precision"] == pytest.approx(4 / 7)
    assert r["body_to_part"] == pytest.approx((1 / 7) / (3 / 4))
    # a list of images sums the counts
    r2 = part_body_recall([seeds, seeds], [class_map, class_map], [part_map, part_map])
    assert r2["part_pixels"] == 8 and r2["part_recall"] == pytest.approx(3 / 4)
    empty = part_body_recall(np.zeros((2, 2), np.uint8), np.zeros((2, 2), np.uint8), np.zeros((2, 2), np.uint8))
    assert np.isnan(empty["part_recall"]) and np.isnan(empty["precision"])


# ------------------------------------------------------------------------------------ catalog, config, CLI

def test_catalog_resolver_generates_on_first_use():
    spec = get_benchmark("mechanism")
    cfg = {"name": "mechanism", "data_root": None, "num_train": 4, "num_val": 3, "train_split": "train",
           "eval_split": "val"}
    root = spec.resolve_root(None, cfg)
    meta = load_meta(root)
    assert meta["name"] == "mechanism" and meta["counts"]["val"]["num_images"] == 3
    assert spec.class_names(root) == meta["classes"]
    assert spec.resolve_root(None, cfg) == root  # reused


def test_config_matches_defaults(repo_root):
    from mmengine.config import Config

    cfg = Config.fromfile(str(repo_root / "configs/_base_/benchmarks/mechanism.py")).benchmark
    assert cfg.name == "mechanism" and cfg.data_root is None
    assert MechanismParams.from_mapping(dict(cfg)) == MechanismParams()


def test_cli_generate_mechanism(tmp_path, capsys):
    from wsisbench.cli.main import main

    out = tmp_path / "cli"
    assert main(["data", "generate", "--benchmark", "mechanism", "--out", str(out), "--num-train", "4",
                 "--num-val", "3", "--person-rate", "0.5", "--person-label-drop", "0.2"]) == 0
    text = capsys.readouterr().out
    assert "mechanism benchmark at" in text and "person" in text
    meta = load_meta(out)
    assert meta["generator"]["params"]["person_rate"] == 0.5 and meta["counts"]["train"]["num_images"] == 4

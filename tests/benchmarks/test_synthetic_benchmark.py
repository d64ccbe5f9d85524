"""The embedded synthetic benchmark: determinism, consistency of the VOC / COCO / LID layouts, atomicity."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from wsisbench.benchmarks import synthetic
from wsisbench.benchmarks.synthetic import (
    EMBEDDED_CLASS_SPLIT,
    EMBEDDED_CLASSES,
    EmbeddedParams,
    ensure_embedded,
    generate_embedded,
    image_rng,
    load_meta,
    make_scene,
)
from wsisbench.benchmarks.synthetic import generate as gen_module
from wsisbench.benchmarks.synthetic.encoding import voc_colormap
from wsisbench.errors import DataError

SMALL = dict(num_train=14, num_val=6, seed=3)
K = len(EMBEDDED_CLASSES)


@pytest.fixture(scope="module")
def bench(tmp_path_factory) -> Path:
    return generate_embedded(tmp_path_factory.mktemp("bench") / "embedded", progress=False, **SMALL)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _ids(root: Path, split: str) -> list[str]:
    return (root / "VOC2012/ImageSets/Segmentation" / f"{split}.txt").read_text().split()


def _png(path: Path) -> np.ndarray:
    return np.array(Image.open(path))


def _coco(root: Path, split: str) -> dict:
    return json.loads((root / "annotations" / f"instances_{split}.json").read_text())


def _anns_by_file(coco: dict) -> dict[str, list[dict]]:
    by_id = {im["id"]: im["file_name"] for im in coco["images"]}
    out = {name: [] for name in by_id.values()}
    for ann in coco["annotations"]:
        out[by_id[ann["image_id"]]].append(ann)
    return out


def _xml_objects(root: Path, iid: str) -> list[dict]:
    tree = ET.parse(root / "VOC2012/Annotations" / f"{iid}.xml").getroot()
    assert tree.findtext("filename") == f"{iid}.jpg"
    objs = []
    for obj in tree.iter("object"):
        box = obj.find("bndbox")
        objs.append({"name": obj.findtext("name"), "difficult": obj.findtext("difficult"),
                     "truncated": obj.findtext("truncated"),
                     "box": [int(box.findtext(t)) for t in ("xmin", "ymin", "xmax", "ymax")]})
    return objs


# ----------------------------------------------------------------------------------------- determinism

def test_regeneration_is_byte_identical(bench, tmp_path):
    again = generate_embedded(tmp_path / "again", progress=False, **SMALL)
    a, b = _files(bench), _files(again)
    assert sorted(a) == sorted(b)
    assert [k for k in a if a[k] != b[k]] == []


def test_images_do_not_depend_on_other_split_size(bench, tmp_path):
    other = generate_embedded(tmp_path / "other", progress=False, **dict(SMALL, num_val=2))
    for iid in _ids(bench, "train"):
        for sub in ("JPEGImages/%s.jpg", "SegmentationClass/%s.png", "SegmentationObject/%s.png"):
            rel = "VOC2012/" + sub % iid
            assert (bench / rel).read_bytes() == (other / rel).read_bytes(), rel
    assert _ids(other, "val") == _ids(bench, "val")[:2]


def test_seed_changes_images(bench, tmp_path):
    other = generate_embedded(tmp_path / "other", progress=False, **dict(SMALL, seed=4))
    rel = "VOC2012/JPEGImages/train_000000.jpg"
    assert (bench / rel).read_bytes() != (other / rel).read_bytes()


# ----------------------------------------------------------------------------------------- layouts

def test_meta(bench):
    meta = load_meta(bench)
    assert meta["classes"] == list(EMBEDDED_CLASSES) and len(EMBEDDED_CLASSES) >= 10
    assert meta["class_split"] == EMBEDDED_CLASS_SPLIT
    assert sorted(meta["class_split"]["A"] + meta["class_split"]["B"]) == sorted(EMBEDDED_CLASSES)
    assert meta["palette"] == voc_colormap()[: K + 1].tolist()
    assert meta["seed"] == SMALL["seed"] and meta["generator"]["version"] == synthetic.GENERATOR_VERSION
    assert meta["generator"]["params"]["num_train"] == SMALL["num_train"]
    assert meta["band_width"] == 2  # default at 128 px
    assert meta["counts"]["train"]["num_images"] == SMALL["num_train"]
    assert meta["counts"]["val"]["num_images"] == SMALL["num_val"]


def test_image_sets_and_files(bench):
    train, val = _ids(bench, "train"), _ids(bench, "val")
    assert len(train) == SMALL["num_train"] and len(val) == SMALL["num_val"]
    assert _ids(bench, "trainval") == train + val
    assert not set(train) & set(val)
    for iid in train + val:
        for rel in (f"JPEGImages/{iid}.jpg", f"SegmentationClass/{iid}.png",
                    f"SegmentationObject/{iid}.png", f"Annotations/{iid}.xml"):
            assert (bench / "VOC2012" / rel).is_file(), rel
        img = Image.open(bench / "VOC2012/JPEGImages" / f"{iid}.jpg")
        assert img.format == "JPEG" and img.mode == "RGB" and img.size == (128, 128)


def test_label_pngs_are_voc_palette_images(bench):
    palette = voc_colormap().reshape(-1).tolist()
    for iid in _ids(bench, "trainval"):
        for sub in ("SegmentationClass", "SegmentationObject"):
            img = Image.open(bench / "VOC2012" / sub / f"{iid}.png")
            assert img.mode == "P" and img.getpalette() == palette
        cls = _png(bench / "VOC2012/SegmentationClass" / f"{iid}.png")
        obj = _png(bench / "VOC2012/SegmentationObject" / f"{iid}.png")
        assert set(np.unique(cls)) <= set(range(K + 1)) | {255}
        assert np.array_equal(cls == 255, obj == 255)  # one void band in both maps
        assert 0 < (cls == 255).mean() < 0.5


def test_coco_matches_segmentation_object(bench):
    for split in ("train", "val"):
        coco = _coco(bench, split)
        assert [c["id"] for c in coco["categories"]] == list(range(1, K + 1))
        assert [c["name"] for c in coco["categories"]] == list(EMBEDDED_CLASSES)
        assert len({a["id"] for a in coco["annotations"]}) == len(coco["annotations"])
        assert len({im["id"] for im in coco["images"]}) == len(coco["images"])
        assert [im["file_name"] for im in coco["images"]] == [f"{i}.jpg" for i in _ids(bench, split)]
        for file_name, anns in _anns_by_file(coco).items():
            iid = file_name[:-4]
            assert (bench / "VOC2012/JPEGImages" / file_name).is_file()
            obj = _png(bench / "VOC2012/SegmentationObject" / f"{iid}.png")
            cls = _png(bench / "VOC2012/SegmentationClass" / f"{iid}.png")
            assert 1 <= len(anns) <= 4
            assert set(np.unique(obj)) - {0, 255} == set(range(1, len(anns) + 1))
            union = np.zeros(obj.shape, int)
            for j, ann in enumerate(anns, start=1):
                assert ann["iscrowd"] == 0 and isinstance(ann["segmentation"]["counts"], str)
                m = mask_utils.decode(ann["segmentation"]).astype(bool)
                union += m
                # SegmentationObject is the COCO mask with the void band painted over it
                assert np.array_equal(m & (obj != 255), obj == j)
                assert (cls[obj == j] == ann["category_id"]).all()
                assert ann["area"] == m.sum()
                ys, xs = np.nonzero(m)
                assert ann["bbox"] == [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1]
            assert union.max() <= 1  # visible masks do not overlap
            assert ((obj == 0) == ((union == 0) & (obj != 255))).all()


def test_xml_boxes_and_image_labels(bench):
    lid_labels = {line.split()[0]: [int(c) for c in line.split()[1:]]
                  for line in (bench / "LID/train.txt").read_text().splitlines()}
    for split in ("train", "val"):
        for file_name, anns in _anns_by_file(_coco(bench, split)).items():
            iid = file_name[:-4]
            objs = _xml_objects(bench, iid)
            assert [o["name"] for o in objs] == [EMBEDDED_CLASSES[a["category_id"] - 1] for a in anns]
            for o, ann in zip(objs, anns):
                x, y, w, h = ann["bbox"]
                assert o["box"] == [x + 1, y + 1, x + w, y + h]  # VOC: 1-based, inclusive
                assert o["difficult"] == "0" and o["truncated"] in ("0", "1")
            cls = _png(bench / "VOC2012/SegmentationClass" / f"{iid}.png")
            present = sorted(set(np.unique(cls).tolist()) - {0, 255})
            assert present == sorted({a["category_id"] for a in anns})
            if split == "train":
                assert lid_labels[iid] == present


def test_void_band_lies_along_boundaries(bench):
    width = load_meta(bench)["band_width"]
    assert width >= 2  # then the band covers both sides of every outline
    for file_name, anns in _anns_by_file(_coco(bench, "train")).items():
        iid = file_name[:-4]
        full = np.zeros((128, 128), np.uint8)  # object map without the band, from the COCO masks
        for j, ann in enumerate(anns, start=1):
            full[mask_utils.decode(ann["segmentation"]).astype(bool)] = j
        kernel = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))  # 4-neighbourhood
        boundary = cv2.dilate(full, kernel) != cv2.erode(full, kernel)
        boundary[[0, -1], :] = boundary[:, [0, -1]] = False
        band = _png(bench / "VOC2012/SegmentationClass" / f"{iid}.png") == 255
        near = cv2.dilate(boundary.astype(np.uint8), np.ones((2 * width + 1,) * 2, np.uint8)) > 0
        assert band[boundary].all()  # every outline pixel is void
        assert not (band & ~near).any()  # and void pixels are all near an outline


def test_lid_layout(bench):
    assert (bench / "LID/classes.txt").read_text().splitlines()[0] == "0 background"
    train = [line.split()[0] for line in (bench / "LID/train.txt").read_text().splitlines()]
    val = (bench / "LID/val.txt").read_text().split()
    assert train == _ids(bench, "train") and val == _ids(bench, "val")
    for iid in train:
        assert (bench / "LID/train" / f"{iid}.JPEG").read_bytes() == \
            (bench / "VOC2012/JPEGImages" / f"{iid}.jpg").read_bytes()
    for iid in val:
        assert (bench / "LID/val" / f"{iid}.JPEG").is_file()
        ann = Image.open(bench / "LID/val_annotations" / f"{iid}.png")
        assert ann.mode == "L"
        assert np.array_equal(np.array(ann), _png(bench / "VOC2012/SegmentationClass" / f"{iid}.png"))


def test_default_train_split_has_every_class_and_1_to_4_instances():
    params = EmbeddedParams()
    seen, sizes = set(), set()
    for index in range(params.num_train):
        scene = make_scene(image_rng(params.seed, "train", index), params.scene_params())
        seen.update(scene.labels)
        sizes.add(len(scene.instances))
    assert seen == set(range(1, K + 1))
    assert sizes == {1, 2, 3, 4}


# ----------------------------------------------------------------------------------------- cache, atomicity

def test_crash_leaves_no_benchmark(tmp_path, monkeypatch):
    monkeypatch.setenv("WSISBENCH_HOME", str(tmp_path / "home"))
    calls = {"n": 0}
    real = gen_module.make_scene

    def flaky(rng, params):
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("simulated crash")
        return real(rng, params)

    monkeypatch.setattr(gen_module, "make_scene", flaky)
    with pytest.raises(RuntimeError, match="simulated crash"):
        ensure_embedded(num_train=6, num_val=2, progress=False)
    root = synthetic.embedded_root(EmbeddedParams(num_train=6, num_val=2))
    assert not root.exists()
    assert list(root.parent.iterdir()) == []  # no half-written temporary sibling either
    calls["n"] = 0
    with pytest.raises(RuntimeError, match="simulated crash"):
        generate_embedded(tmp_path / "out", num_train=6, num_val=2, progress=False)
    assert not (tmp_path / "out").exists()

    monkeypatch.setattr(gen_module, "make_scene", real)
    assert ensure_embedded(num_train=6, num_val=2, progress=False) == root
    assert load_meta(root)["counts"]["train"]["num_images"] == 6

    monkeypatch.setattr(gen_module, "make_scene", flaky)  # a complete benchmark is reused, not regenerated
    calls["n"] = 4
    assert ensure_embedded(num_train=6, num_val=2, progress=False) == root


def test_cache_names_differ_by_parameters(tmp_path, monkeypatch):
    monkeypatch.setenv("WSISBENCH_HOME", str(tmp_path))
    a = synthetic.embedded_root(EmbeddedParams(num_train=6, num_val=2))
    b = synthetic.embedded_root(EmbeddedParams(num_train=6, num_val=2, seed=1))
    assert a != b and a.parent == b.parent == tmp_path / "benchmarks"
    assert a.name.startswith(f"embedded-v{synthetic.GENERATOR_VERSION}-")


def test_existing_directories_are_protected(bench, tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    with pytest.raises(DataError, match="not an embedded benchmark"):
        generate_embedded(foreign, num_train=2, num_val=1, progress=False)
    with pytest.raises(DataError, match="not an embedded benchmark"):
        ensure_embedded(foreign, num_train=2, num_val=1, progress=False)
    assert (foreign / "keep.txt").read_text() == "mine"
    with pytest.raises(DataError, match="seed 3 -> 5"):
        ensure_embedded(bench, progress=False, **dict(SMALL, seed=5))
    assert ensure_embedded(bench, progress=False, **SMALL) == bench


def test_cli_generate(tmp_path, capsys):
    from wsisbench.cli.main import main

    out = tmp_path / "cli"
    assert main(["data", "generate", "--out", str(out), "--num-train", "4", "--num-val", "2",
                 "--image-size", "64", "--seed", "1"]) == 0
    text = capsys.readouterr().out
    assert str(out) in text and "circle" in text and "images" in text
    assert load_meta(out)["image_size"] == 64 and load_meta(out)["band_width"] == 1
    assert main(["data", "generate", "--out", str(out), "--num-train", "4", "--num-val", "2",
                 "--image-size", "64", "--seed", "2"]) == 2
    assert "--force" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["data", "generate", "--help"])
    assert e.value.code == 0

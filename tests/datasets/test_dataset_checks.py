"""Dataset validation: each broken file is reported with its path, by check_dataset and by the readers."""
import shutil

import numpy as np
import pytest
from PIL import Image

from wsisbench.datasets import CocoSplitDataset, VOCSegDataset, check_dataset
from wsisbench.datasets.checks import resolve_layouts
from wsisbench.errors import DataError, UnknownNameError


@pytest.fixture()
def voc_copy(voc_sample_root, tmp_path):
    """A writable copy of the shared VOC sample (in tmp, never in the repo)."""
    dst = tmp_path / "voc"
    shutil.copytree(voc_sample_root, dst)
    return dst


def test_clean_samples_pass(voc_sample_root, coco_mini_root):
    for layout, root in (("voc", voc_sample_root), ("coco", coco_mini_root)):
        report = check_dataset(layout, root, show_progress=False)
        assert report.ok, report.format_problems()
    summary = check_dataset("coco", coco_mini_root, show_progress=False).summary
    assert summary.loc[0, ["split", "images", "instances", "classes"]].tolist() == ["val2017", 79, 624, 78]


def test_truncated_jpeg(voc_copy):
    jpg = voc_copy / "VOC2012/JPEGImages/2007_000063.jpg"
    jpg.write_bytes(jpg.read_bytes()[: jpg.stat().st_size // 2])
    report = check_dataset("voc", voc_copy, show_progress=False)
    assert not report.ok
    assert [(path, problem.split(" (")[0]) for path, problem in report.problems] == \
        [(str(jpg), "image cannot be decoded")]
    assert "truncated" in report.problems[0][1]
    with pytest.raises(DataError, match=r"2007_000063\.jpg"):
        report.raise_if_failed()


def test_rgb_label_png(voc_copy):
    png = voc_copy / "VOC2012/SegmentationClass/2007_000063.png"
    Image.open(png).convert("RGB").save(png)
    report = check_dataset("voc", voc_copy, show_progress=False)
    assert len(report.problems) == 1 and report.problems[0][0] == str(png)
    assert "mode 'RGB'" in report.problems[0][1]
    with pytest.raises(DataError, match=r"SegmentationClass/2007_000063\.png.*mode 'RGB'"):
        VOCSegDataset(data_root=str(voc_copy), split="sample", show_progress=False)


def test_missing_annotation_files(coco_mini_root, voc_copy, tmp_path):
    report = check_dataset("coco", coco_mini_root, splits=["train2017"], show_progress=False)
    assert report.problems == [(str(coco_mini_root / "annotations/instances_train2017.json"),
                                "annotation file of split 'train2017' is missing")]
    assert report.summary["problems"].tolist() == [1]
    with pytest.raises(DataError, match=r"instances_train2017\.json.*missing"):
        CocoSplitDataset(ann_file=str(coco_mini_root / "annotations/instances_train2017.json"),
                         data_prefix=dict(img=""))
    (voc_copy / "VOC2012/SegmentationObject/2007_000063.png").unlink()
    problems = check_dataset("voc", voc_copy, show_progress=False).problems
    assert problems[0][0].endswith("SegmentationObject/2007_000063.png") and "missing" in problems[0][1]
    problems = check_dataset("voc", voc_copy, splits=["val"], show_progress=False).problems
    assert problems[0][0].endswith("ImageSets/Segmentation/val.txt")


def test_size_mismatch_unknown_class_and_empty_split(voc_copy):
    from wsisbench.datasets.png import write_label_png

    voc = voc_copy / "VOC2012"
    write_label_png(voc / "SegmentationObject/2007_000063.png", np.zeros((10, 10), np.uint8))
    cls = np.array(Image.open(voc / "SegmentationClass/2007_000063.png"))
    cls[0, 0] = 77
    write_label_png(voc / "SegmentationClass/2007_000063.png", cls)
    (voc / "ImageSets/Segmentation/empty.txt").write_text("\n")
    problems = dict(check_dataset("voc", voc_copy, show_progress=False).problems)
    assert "10x10 but the image is 500x375" in problems[str(voc / "SegmentationObject/2007_000063.png")]
    assert "unknown class ids [77]" in problems[str(voc / "SegmentationClass/2007_000063.png")]
    assert "empty" in problems[str(voc / "ImageSets/Segmentation/empty.txt")]


def test_coco_json_problems(coco_mini_root, tmp_path):
    import json

    root = tmp_path / "coco"
    (root / "annotations").mkdir(parents=True)
    (root / "val2017").symlink_to(coco_mini_root / "val2017")
    data = json.loads((coco_mini_root / "annotations/instances_val2017.json").read_text())
    data["annotations"][0]["category_id"] = 999
    data["images"][1]["height"] += 1
    (root / "annotations/instances_val2017.json").write_text(json.dumps(data))
    (root / "annotations/instances_broken.json").write_text("{")
    problems = check_dataset("coco", root, show_progress=False).problems
    text = "\n".join(f"{p}: {m}" for p, m in problems)
    assert "instances_broken.json: not a COCO instances file" in text
    assert "unknown category id 999" in text
    assert f"{data['images'][1]['file_name']}: image is" in text


def test_layout_names():
    assert resolve_layouts("voc2012") == ("voc",) and resolve_layouts("lid2020") == ("lid",)
    assert resolve_layouts("embedded") == ("voc", "coco", "lid")
    with pytest.raises(UnknownNameError):
        resolve_layouts("imagenet")


def test_missing_root(tmp_path):
    report = check_dataset("voc", tmp_path / "nowhere", show_progress=False)
    assert report.problems == [(str(tmp_path / "nowhere"), "data root does not exist")]


def test_train_aug_with_sbd_files(tmp_path, make_voc_tree):
    voc = make_voc_tree(tmp_path, ["t1", "t2"], ["v1"], ["s1", "s2"])
    report = check_dataset("voc", tmp_path, splits=["train_aug"], show_progress=False)
    assert report.ok, report.format_problems()
    assert report.summary.loc[0, ["images", "instances"]].tolist() == [4, 4]
    (tmp_path / "SBD/inst/s2.mat").write_bytes(b"garbage")
    report = check_dataset("voc", voc, splits=["train_aug"], show_progress=False)
    assert [p for p, _ in report.problems] == [str(tmp_path / "SBD/inst/s2.mat")]
    # train_aug is not checked unless asked for
    assert "train_aug" not in set(check_dataset("voc", voc, show_progress=False).summary["split"])

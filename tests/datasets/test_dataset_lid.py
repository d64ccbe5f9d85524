"""LID 2020 track 1: a tree in the official layout written here, and the flat (embedded) layout."""
import json

import numpy as np
import pytest
from PIL import Image

from wsisbench.datasets import LIDClsDataset, LIDSegDataset
from wsisbench.datasets.class_names import LID_CLASSES
from wsisbench.datasets.png import write_label_png
from wsisbench.errors import DataError


def _jpeg(path, size=(10, 8)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (90, 120, 30)).save(path)


@pytest.fixture()
def lid_root(tmp_path):
    root = tmp_path / "LID2020"
    _jpeg(root / "LID_track1/train/n02084071/n02084071_1.JPEG")
    _jpeg(root / "LID_track1/train/n00007846/n00007846_7.JPEG", (12, 9))
    (root / "train_labels.txt").write_text("# path ids\nn02084071/n02084071_1 58 124\nn00007846/n00007846_7 124\n")
    for name, values in (("ILSVRC2012_val_00000001", (0, 58, 255)), ("ILSVRC2012_val_00000002", (0, 200))):
        _jpeg(root / f"LID_track1/val/{name}.JPEG")
        seg = np.zeros((8, 10), np.uint8)
        for i, v in enumerate(values):
            seg[i] = v
        write_label_png(root / f"LID_track1_annotations/track1_val_annotations_raw/{name}.png", seg)
    _jpeg(root / "LID_track1/test/ILSVRC2012_test_00000001.JPEG")
    return root


def test_official_layout(lid_root):
    val = LIDSegDataset(data_root=str(lid_root), split="val", show_progress=False)
    assert val.metainfo["semantic_classes"] == LID_CLASSES and len(val.metainfo["semantic_classes"]) == 201
    assert len(val.metainfo["classes"]) == 200
    infos = [val.get_data_info(i) for i in range(len(val))]
    assert [d["image_labels"] for d in infos] == [[57], [199]]  # dog (DET 58), zebra (DET 200), 0-based
    assert infos[0]["seg_map_path"].endswith("track1_val_annotations_raw/ILSVRC2012_val_00000001.png")
    train = LIDSegDataset(data_root=str(lid_root), split="train", show_progress=False)
    t = {train.get_data_info(i)["img_id"]: train.get_data_info(i) for i in range(len(train))}
    assert t["n02084071/n02084071_1"]["image_labels"] == [57, 123]
    assert (t["n00007846/n00007846_7"]["width"], t["n00007846/n00007846_7"]["height"]) == (12, 9)
    test = LIDSegDataset(data_root=str(lid_root), split="test", show_progress=False)
    assert len(test) == 1 and test.get_data_info(0)["image_labels"] == []
    cls = LIDClsDataset(data_root=str(lid_root), split="train", show_progress=False)
    vec = cls.get_data_info(0)["multi_hot"]
    assert vec.shape == (200,) and vec.sum() == 2


def test_json_label_list_and_errors(lid_root):
    (lid_root / "train_labels.txt").unlink()
    (lid_root / "LID_track1/train_labels.json").write_text(json.dumps({"n02084071/n02084071_1": [58]}))
    train = LIDSegDataset(data_root=str(lid_root), split="train", show_progress=False)
    assert len(train) == 1 and train.get_data_info(0)["image_labels"] == [57]
    (lid_root / "LID_track1/train_labels.json").write_text(json.dumps({"n02084071/n02084071_1": [201]}))
    with pytest.raises(DataError, match=r"train_labels\.json.*unknown class ids \[201\]"):
        LIDSegDataset(data_root=str(lid_root), split="train", show_progress=False)
    (lid_root / "LID_track1/train_labels.json").unlink()
    with pytest.raises(DataError, match=r"train_labels\.txt.*missing"):
        LIDSegDataset(data_root=str(lid_root), split="train", show_progress=False)


def test_flat_layout(tmp_path):
    base = tmp_path / "LID"
    _jpeg(base / "train/a.JPEG")
    (base / "train.txt").write_text("a 1 3\n")
    _jpeg(base / "val/b.JPEG")
    (base / "val.txt").write_text("b\n")
    seg = np.zeros((8, 10), np.uint8)
    seg[2:4] = 2
    Image.fromarray(seg).save(tmp_path / "dummy.png")  # grey 'L' PNGs are index images too
    (base / "val_annotations").mkdir()
    Image.fromarray(seg).save(base / "val_annotations/b.png")
    meta = dict(classes=("x", "y", "z"))
    train = LIDSegDataset(data_root=str(tmp_path), split="train", metainfo=meta, show_progress=False)
    assert train.get_data_info(0)["image_labels"] == [0, 2] and len(train.metainfo["semantic_classes"]) == 4
    val = LIDSegDataset(data_root=str(base), split="val", metainfo=meta, show_progress=False)
    assert val.get_data_info(0)["image_labels"] == [1]


def test_check_official_layout(lid_root):
    from wsisbench.datasets import check_dataset

    report = check_dataset("lid2020", lid_root, show_progress=False)
    assert report.ok, report.format_problems()
    assert report.summary[["split", "images", "classes"]].values.tolist() == [["train", 2, 2], ["val", 2, 2]]
    png = lid_root / "LID_track1_annotations/track1_val_annotations_raw/ILSVRC2012_val_00000002.png"
    Image.open(png).convert("RGB").save(png)
    (lid_root / "LID_track1/train/n00007846/n00007846_7.JPEG").unlink()
    problems = dict(check_dataset("lid", lid_root, show_progress=False).problems)
    assert "mode 'RGB'" in problems[str(png)]
    assert problems[str(lid_root / "LID_track1/train/n00007846/n00007846_7.JPEG")] == "image is missing"

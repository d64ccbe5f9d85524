"""The readers and the checker work unchanged on the embedded benchmark's VOC, COCO and LID layouts."""
import pytest

from wsisbench.datasets import CocoSplitDataset, LIDSegDataset, VOCClsDataset, VOCInstanceDataset, check_dataset
from wsisbench.datasets.checks import read_meta_classes


@pytest.fixture(scope="module")
def embedded_root(tmp_path_factory):
    from wsisbench.benchmarks import synthetic
    root = tmp_path_factory.mktemp("embedded") / "bench"
    return synthetic.ensure_embedded(root, progress=False, num_train=8, num_val=4, image_size=64)


def test_readers(embedded_root):
    classes = read_meta_classes(embedded_root)
    assert classes and classes[0] != "background"
    meta = dict(classes=classes)
    voc = VOCInstanceDataset(data_root=str(embedded_root), split="val", metainfo=meta, show_progress=False)
    coco = CocoSplitDataset(ann_file="annotations/instances_val.json", data_root=str(embedded_root),
                            data_prefix=dict(img="VOC2012/JPEGImages"), metainfo=meta, test_mode=True)
    lid = LIDSegDataset(data_root=str(embedded_root), split="val", metainfo=meta, show_progress=False)
    assert len(voc) == len(coco) == len(lid) == 4
    for k in range(4):
        v, c, li = voc.get_data_info(k), coco.get_data_info(k), lid.get_data_info(k)
        assert v["image_labels"] == c["image_labels"] == li["image_labels"]
        assert len(v["instances"]) == len(c["instances"])
    train = LIDSegDataset(data_root=str(embedded_root), split="train", metainfo=meta, show_progress=False)
    cls = VOCClsDataset(data_root=str(embedded_root), split="train", metainfo=meta, show_progress=False)
    assert [train.get_data_info(i)["image_labels"] for i in range(len(train))] == \
        [cls.get_data_info(i)["image_labels"] for i in range(len(cls))]


def test_check(embedded_root):
    report = check_dataset("embedded", embedded_root, show_progress=False)
    assert report.ok, report.format_problems()
    assert set(report.summary["layout"]) == {"voc", "coco", "lid"}

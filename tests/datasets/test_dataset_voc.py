"""VOC 2012 reading: the official sample image, the mmdet pipeline, train_aug with SBD .mat files."""
import numpy as np
import pytest

from wsisbench.datasets import VOCInstanceDataset, VOCSegDataset, load_voc_instances, read_label_png
from wsisbench.datasets.png import write_label_png
from wsisbench.errors import DataError


def test_sample_image_instances(voc_sample_root):
    voc = voc_sample_root / "VOC2012"
    obj_png = voc / "SegmentationObject" / "2007_000063.png"
    cls_png = voc / "SegmentationClass" / "2007_000063.png"
    masks, labels = load_voc_instances(obj_png, cls_png)
    assert masks.shape == (2, 375, 500) and masks.dtype == bool
    assert sorted(labels.tolist()) == [8, 11]  # chair (VOC class 9) and dog (12), 0-based
    cls = read_label_png(cls_png)
    void = cls == 255
    assert void.any()
    assert not (masks & void[None]).any(), "a void pixel belongs to an instance"
    assert not (masks[0] & masks[1]).any()
    for mask, label in zip(masks, labels):  # each mask lies on its class in SegmentationClass
        assert np.all(cls[mask] == label + 1)


def test_dataset_on_sample(voc_sample_root):
    ds = VOCInstanceDataset(data_root=str(voc_sample_root), split="sample", show_progress=False)
    assert len(ds) == 1
    info = ds.get_data_info(0)
    assert info["img_id"] == "2007_000063" and (info["height"], info["width"]) == (375, 500)
    assert info["image_labels"] == [8, 11]
    assert info["seg_map_path"].endswith("SegmentationClass/2007_000063.png")
    assert info["obj_map_path"].endswith("SegmentationObject/2007_000063.png")
    assert sorted(i["bbox_label"] for i in info["instances"]) == [8, 11]
    assert all(i["ignore_flag"] == 0 and isinstance(i["mask"]["counts"], str) for i in info["instances"])
    assert ds.metainfo["semantic_classes"][0] == "background" and len(ds.metainfo["semantic_classes"]) == 21
    # data_root may also be the VOC2012 folder itself
    assert len(VOCSegDataset(data_root=str(voc_sample_root / "VOC2012"), split="sample", show_progress=False)) == 1


def test_mmdet_pipeline(voc_sample_root):
    from mmcv.transforms import LoadImageFromFile
    from mmdet.datasets.transforms import LoadAnnotations, PackDetInputs
    from mmengine.dataset import Compose

    ds = VOCInstanceDataset(data_root=str(voc_sample_root), split="sample", show_progress=False)
    pipeline = Compose([LoadImageFromFile(), LoadAnnotations(with_bbox=True, with_mask=True), PackDetInputs()])
    out = pipeline(ds.get_data_info(0))
    gt = out["data_samples"].gt_instances
    masks, labels = load_voc_instances(ds.get_data_info(0)["obj_map_path"], ds.get_data_info(0)["seg_map_path"])
    np.testing.assert_array_equal(gt.masks.masks.astype(bool), masks)
    assert gt.labels.tolist() == labels.tolist()
    x0, y0, x1, y1 = gt.bboxes.tensor[0].tolist()
    ys, xs = np.nonzero(masks[0])
    assert (x0, y0, x1, y1) == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)


def test_load_label_map_transform(voc_sample_root):
    from wsisbench.datasets import LoadLabelMap

    ds = VOCSegDataset(data_root=str(voc_sample_root), split="sample", show_progress=False)
    out = LoadLabelMap()(dict(ds.get_data_info(0)))
    assert set(np.unique(out["gt_seg_map"]).tolist()) == {0, 9, 12, 255}


def test_train_aug_with_sbd(tmp_path, make_voc_tree):
    voc = make_voc_tree(tmp_path, ["t1", "t2"], ["v1", "v2"], ["s1", "s2", "s3"])
    ds = VOCInstanceDataset(data_root=str(tmp_path), split="train_aug", show_progress=False)  # SBD found as sibling
    by_id = {ds.get_data_info(i)["img_id"]: ds.get_data_info(i) for i in range(len(ds))}
    assert sorted(by_id) == ["s1", "s2", "s3", "t1", "t2"]  # (SBD train + val + VOC train) - VOC val
    assert by_id["t1"]["gt_source"] == "voc" and by_id["t1"]["seg_map_path"].endswith(".png")
    assert by_id["s1"]["gt_source"] == "sbd" and by_id["s1"]["seg_map_path"].endswith(".mat")
    assert all(len(d["instances"]) == 1 for d in by_id.values())
    assert by_id["s2"]["image_labels"] == [by_id["s2"]["instances"][0]["bbox_label"]]
    explicit = VOCSegDataset(data_root=str(voc), split="train_aug", sbd_root="../SBD", show_progress=False)
    assert len(explicit) == 5


def test_train_aug_without_sbd_is_a_clear_error(tmp_path, make_voc_tree):
    voc = make_voc_tree(tmp_path, ["t1"], ["v1"], ["s1", "s2"])
    import shutil

    shutil.rmtree(tmp_path / "SBD")
    with pytest.raises(DataError, match="SBD"):
        VOCSegDataset(data_root=str(voc), split="train_aug", show_progress=False)


def test_errors_name_the_file(tmp_path, make_voc_tree):
    voc = make_voc_tree(tmp_path, ["t1"], ["v1"], [])
    with pytest.raises(DataError, match=r"ImageSets/Segmentation/test\.txt.*missing"):
        VOCSegDataset(data_root=str(voc), split="test", show_progress=False)
    write_label_png(voc / "SegmentationClass" / "t1.png", np.full((6, 8), 30, np.uint8))
    with pytest.raises(DataError, match=r"t1\.png.*unknown class ids \[30\]"):
        VOCSegDataset(data_root=str(voc), split="train", show_progress=False)
    with pytest.raises(ValueError, match="background"):
        VOCSegDataset(data_root=str(voc), split="val", metainfo=dict(classes=("background", "a")), lazy_init=True)


def test_own_class_list(tmp_path, make_voc_tree):
    voc = make_voc_tree(tmp_path, ["t1"], ["v1"], [])
    ds = VOCSegDataset(data_root=str(voc), split="val", metainfo=dict(classes=("a", "b", "c")), show_progress=False)
    assert ds.metainfo["classes"] == ("a", "b", "c") and len(ds.metainfo["palette"]) == 3
    assert ds.get_data_info(0)["image_labels"] == [1]  # v1 is the 2nd image: class 2 -> label 1

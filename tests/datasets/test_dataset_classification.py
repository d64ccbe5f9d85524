"""Image-label classification views."""
import numpy as np

from wsisbench.datasets import CocoClsDataset, ImageLabelDataset, VOCClsDataset, multi_hot


def test_multi_hot():
    np.testing.assert_array_equal(multi_hot([0, 3], 5), np.array([1, 0, 0, 1, 0], np.float32))
    assert multi_hot([], 3).sum() == 0


def test_voc_view(voc_sample_root):
    ds = VOCClsDataset(data_root=str(voc_sample_root), split="sample", show_progress=False)
    info = ds.get_data_info(0)
    assert set(info) >= {"img_path", "img_id", "height", "width", "image_labels", "multi_hot"}
    assert "instances" not in info and "seg_map_path" not in info
    assert np.flatnonzero(info["multi_hot"]).tolist() == [8, 11] and info["multi_hot"].shape == (20,)
    generic = ImageLabelDataset(dict(type="VOCSegDataset", data_root=str(voc_sample_root), split="sample",
                                     show_progress=False))
    assert generic.get_data_info(0)["image_labels"] == [8, 11]
    assert generic.metainfo["classes"] == ds.metainfo["classes"]


def test_coco_view(coco_mini_root):
    kw = dict(ann_file="annotations/instances_val2017.json", data_root=str(coco_mini_root),
              data_prefix=dict(img="val2017"))
    ds = CocoClsDataset(**kw)
    assert len(ds) == 79 and ds.get_data_info(0)["multi_hot"].shape == (80,)
    voc_only = CocoClsDataset(keep_classes="voc", **kw)  # images without a VOC object are dropped
    assert 0 < len(voc_only) < 79
    assert all(voc_only.get_data_info(i)["multi_hot"].sum() >= 1 for i in range(len(voc_only)))

"""'Mask R-CNN trained w/ GrabCut': pseudo-mask json of the ground-truth boxes; registration and stages."""
from __future__ import annotations

import numpy as np

from baselines.grabcut_mask_rcnn.pseudo_masks import grabcut_annotation_masks, group_by_image, replace_masks
from wsisbench.datasets.rle import decode_segmentation, encode_mask, json_rle


def test_pseudo_masks_replace_only_the_chosen_classes(tmp_path, star_scene, mask_iou):
    import cv2

    image, obj, box = star_scene()
    cv2.imwrite(str(tmp_path / "a.png"), image)
    true_rle = json_rle(encode_mask(obj))
    dataset = {"images": [{"id": 1, "file_name": "a.png", "height": 128, "width": 128}],
               "categories": [{"id": 1, "name": "star"}, {"id": 2, "name": "ring"}],
               "annotations": [
                   {"id": 10, "image_id": 1, "category_id": 2, "iscrowd": 0, "area": float(obj.sum()),
                    "bbox": [box[0], box[1], box[2] - box[0], box[3] - box[1]], "segmentation": true_rle},
                   {"id": 11, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": 4.0,
                    "bbox": [0, 0, 2, 2],
                    "segmentation": json_rle(encode_mask(np.pad(np.ones((2, 2), bool), (0, 126))))}]}
    masks = grabcut_annotation_masks(dataset["images"], group_by_image(dataset["annotations"]), tmp_path, {2},
                                     dict(iters=5), show=False)
    assert set(masks) == {10}
    new = replace_masks(dataset, masks)
    gc = decode_segmentation(new["annotations"][0]["segmentation"], 128, 128)
    assert mask_iou(gc, obj) > 0.85 and new["annotations"][0]["area"] == gc.sum()
    assert new["annotations"][1] == dataset["annotations"][1]
    assert dataset["annotations"][0]["segmentation"] is true_rle  # the input is not modified


def test_methods_are_registered():
    from wsisbench.presets import list_presets
    from wsisbench.registry import METHODS

    for name in ("grabcut_boxes", "grabcut_mask_rcnn", "maskx_rcnn"):
        assert METHODS.get(name) is not None
        assert "embedded" in list_presets(name)




def test_stages_and_default_is_every_class():
    from wsisbench.presets import load_config
    from wsisbench.registry import METHODS

    cfg = load_config("grabcut_mask_rcnn", "embedded")
    assert [s.name for s in METHODS.get("grabcut_mask_rcnn")(cfg).build_stages()] == [
        "grabcut_masks", "train", "predict_val", "evaluate_val"]
    assert cfg.grabcut_classes == "all"  # the paper's setting; the mixed variant is its own preset
    assert load_config("grabcut_mask_rcnn", "embedded_mixed").grabcut_classes == "B"

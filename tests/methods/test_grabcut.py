"""GrabCut baselines: GrabCut inside a box recovers a synthetic object; pseudo-mask json; registration."""
from __future__ import annotations

import numpy as np
import pytest

from baselines.grabcut import box_mask, grabcut_boxes, grabcut_in_box
from baselines.grabcut.pseudo_masks import grabcut_annotation_masks, group_by_image, replace_masks
from wsisbench.datasets.rle import decode_segmentation, encode_mask


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return np.count_nonzero(a & b) / max(1, np.count_nonzero(a | b))


def _scene(seed=0, size=128):
    """A noisy textured background with a star-like object of another colour; returns image, mask, box."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    image = np.stack([90 + 40 * np.sin(xx / 5.0), 120 + 30 * np.cos(yy / 7.0), 100 + 0 * xx], -1)
    image = image + rng.normal(0, 12, image.shape)
    angle = np.arctan2(yy - 60, xx - 70)
    radius = 22 + 8 * np.cos(5 * angle)
    obj = np.hypot(yy - 60, xx - 70) < radius
    image[obj] = rng.normal([30, 40, 210], 15, (obj.sum(), 3))
    ys, xs = np.nonzero(obj)
    box = [xs.min() - 3, ys.min() - 3, xs.max() + 4, ys.max() + 4]
    return np.clip(image, 0, 255).astype(np.uint8), obj, box


def test_grabcut_recovers_most_of_an_object():
    image, obj, box = _scene()
    mask = grabcut_in_box(image, box)
    assert _iou(mask, obj) > 0.85
    assert _iou(box_mask(box, *obj.shape), obj) < 0.75  # better than the filled box
    assert not mask[:, : int(box[0])].any()  # nothing outside the box
    assert np.array_equal(mask, grabcut_in_box(image, box))  # reproducible


def test_degenerate_boxes_fall_back_to_the_box():
    image, _, _ = _scene()
    tiny = grabcut_in_box(image, [10, 10, 11, 30])
    assert np.array_equal(tiny, box_mask([10, 10, 11, 30], 128, 128))
    whole = grabcut_in_box(image, [0, 0, 128, 128])  # no background around: filled box
    assert whole.all()
    outside = grabcut_in_box(image, [200, 200, 220, 230])
    assert not outside.any()
    assert grabcut_boxes(image, np.zeros((0, 4))).shape == (0, 128, 128)


def test_pseudo_masks_replace_only_the_chosen_classes(tmp_path):
    import cv2

    image, obj, box = _scene()
    cv2.imwrite(str(tmp_path / "a.png"), image)
    true_rle = encode_mask(obj)
    dataset = {"images": [{"id": 1, "file_name": "a.png", "height": 128, "width": 128}],
               "categories": [{"id": 1, "name": "star"}, {"id": 2, "name": "ring"}],
               "annotations": [
                   {"id": 10, "image_id": 1, "category_id": 2, "iscrowd": 0, "area": float(obj.sum()),
                    "bbox": [box[0], box[1], box[2] - box[0], box[3] - box[1]], "segmentation": true_rle},
                   {"id": 11, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": 4.0,
                    "bbox": [0, 0, 2, 2], "segmentation": encode_mask(np.pad(np.ones((2, 2), bool), (0, 126)))}]}
    masks = grabcut_annotation_masks(dataset["images"], group_by_image(dataset["annotations"]), tmp_path, {2},
                                     dict(iters=5), show=False)
    assert set(masks) == {10}
    new = replace_masks(dataset, masks)
    gc = decode_segmentation(new["annotations"][0]["segmentation"], 128, 128)
    assert _iou(gc, obj) > 0.85 and new["annotations"][0]["area"] == gc.sum()
    assert new["annotations"][1] == dataset["annotations"][1]
    assert dataset["annotations"][0]["segmentation"] is true_rle  # the input is not modified


def test_methods_are_registered():
    import baselines  # noqa: F401
    from wsisbench.registry import METHODS
    from wsisbench.presets import list_presets

    for name in ("grabcut_boxes", "grabcut_mask_rcnn", "maskx_rcnn"):
        assert METHODS.get(name) is not None
        assert "embedded" in list_presets(name)


@pytest.mark.parametrize("method,stages", [
    ("grabcut_boxes", ["train_detector", "predict_val", "evaluate_val"]),
    ("grabcut_mask_rcnn", ["grabcut_masks", "train", "predict_val", "evaluate_val"]),
])
def test_stage_lists(method, stages):
    import baselines  # noqa: F401
    from wsisbench.presets import load_config
    from wsisbench.registry import METHODS

    cfg = load_config(method, "embedded")
    assert [s.name for s in METHODS.get(method)(cfg).build_stages()] == stages

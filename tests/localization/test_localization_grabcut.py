"""GrabCut inside a box (wsisbench.localization.grabcut): recovers a synthetic object, degenerate boxes."""
from __future__ import annotations

import numpy as np

from wsisbench.localization import box_mask, grabcut_boxes, grabcut_in_box


def test_grabcut_recovers_most_of_an_object(star_scene, mask_iou):
    image, obj, box = star_scene()
    mask = grabcut_in_box(image, box)
    assert mask_iou(mask, obj) > 0.85
    assert mask_iou(box_mask(box, *obj.shape), obj) < 0.75  # better than the filled box
    assert not mask[:, : int(box[0])].any()  # nothing outside the box
    assert np.array_equal(mask, grabcut_in_box(image, box))  # reproducible


def test_degenerate_boxes_fall_back_to_the_box(star_scene):
    image, _, _ = star_scene()
    tiny = grabcut_in_box(image, [10, 10, 11, 30])
    assert np.array_equal(tiny, box_mask([10, 10, 11, 30], 128, 128))
    whole = grabcut_in_box(image, [0, 0, 128, 128])  # no background around: filled box
    assert whole.all()
    outside = grabcut_in_box(image, [200, 200, 220, 230])
    assert not outside.any()
    assert grabcut_boxes(image, np.zeros((0, 4))).shape == (0, 128, 128)

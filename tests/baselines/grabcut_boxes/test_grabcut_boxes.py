"""'Faster R-CNN tested w/ GrabCut': registration and stages."""
from __future__ import annotations


def test_stages():
    from wsisbench.presets import load_config
    from wsisbench.registry import METHODS

    cfg = load_config("grabcut_boxes", "embedded")
    assert [s.name for s in METHODS.get("grabcut_boxes")(cfg).build_stages()] == [
        "train_detector", "predict_val", "evaluate_val"]

"""Deep Community Learning's instance segmentation (IS) module: its pseudo masks, its head, the network with and
without it, and the test-time mask source."""
from __future__ import annotations

import pytest
import torch

import wsisbench.methods  # noqa: F401  (registers dcl)
from wsisbench.errors import WsisbenchError
from wsisbench.methods.dcl.segmentation import IGNORE_INDEX, ISHead, is_loss, is_targets, segmentation_masks
from wsisbench.methods.dcl.stages import mask_source
from wsisbench.presets import load_config
from wsisbench.registry import MODELS

BOXES = torch.tensor([[0.0, 0.0, 64.0, 64.0], [20.0, 30.0, 120.0, 110.0], [50.0, 5.0, 90.0, 60.0]])


@pytest.fixture(autouse=True)
def _scope():
    from mmengine.registry import init_default_scope

    torch.set_num_threads(1)
    init_default_scope("wsisbench")


def _network(preset: str, classes: int = 6):
    cfg = load_config("dcl", preset)
    torch.manual_seed(0)
    model = cfg.model.to_dict()
    model["num_classes"] = classes
    model["backbone"]["pretrained"] = False   # shapes only
    return MODELS.build(model)


def test_is_targets_background_class_ignore_and_the_higher_score_on_overlap():
    cam = torch.zeros(3, 8, 8)
    cam[1, 1:3, 1:3] = 1.0        # class 1: strong in the top-left corner of box A
    cam[1, 3, 3] = 0.1            # below 0.2 of the in-box maximum: ignored
    cam[2, 2:6, 2:6] = 2.0        # class 2 fills box B
    boxes = torch.tensor([[16.0, 16.0, 80.0, 80.0],   # A: cells 1..4 (16 px per cell on a 128 px image)
                          [32.0, 32.0, 96.0, 96.0]])  # B: cells 2..5, overlapping A at cells 2..4
    labels = torch.tensor([1, 2])
    t = is_targets(cam, boxes, labels, torch.tensor([0.9, 0.3]), (128, 128))
    assert t.shape == (8, 8) and t.dtype == torch.long
    assert t[0].eq(0).all() and t[:, 7].eq(0).all() and t[6:, :].eq(0).all()   # outside every box
    assert t[1, 1] == 2 and t[2, 2] == 2          # class 1 (label + 1) above the threshold, A wins the overlap
    assert t[3, 3] == IGNORE_INDEX and t[1, 3] == IGNORE_INDEX   # inside A, below 0.2 of its maximum
    assert t[5, 5] == 3 and t[4, 5] == 3          # B alone: class 2
    flipped = is_targets(cam, boxes, labels, torch.tensor([0.3, 0.9]), (128, 128))
    assert flipped[2, 2] == 3 and flipped[3, 3] == 3 and flipped[1, 1] == 2   # B now wins where they overlap
    assert is_targets(cam, boxes[:0], labels[:0], torch.zeros(0), (128, 128)).eq(0).all()
    nowhere = is_targets(torch.zeros(3, 8, 8), boxes[:1], labels[:1], torch.ones(1), (128, 128))
    assert nowhere[1:3, 1:3].eq(IGNORE_INDEX).all() and nowhere[0].eq(0).all()   # no CAM in the box: unknown


def test_is_head_shape_and_loss():
    head = ISHead(in_channels=32, num_classes=5, grid_size=16, channels=8)
    logits = head(torch.randn(2, 32, 4, 4))
    assert logits.shape == (2, 6, 16, 16)
    targets = torch.full((2, 16, 16), IGNORE_INDEX)
    assert is_loss(logits, targets) == 0           # every cell ignored: no loss, not NaN
    targets[:, :4] = 0
    targets[0, 8:, 8:] = 3
    loss = is_loss(logits, targets, weight=2.0)
    assert torch.isclose(loss, 2.0 * torch.nn.functional.cross_entropy(logits, targets, ignore_index=IGNORE_INDEX))


def test_segmentation_masks_keep_the_class_probability_inside_the_box():
    probs = torch.zeros(3, 10, 10)
    probs[0] = 1.0
    probs[2, 2:6, 2:6], probs[0, 2:6, 2:6] = 0.7, 0.3
    probs[1, 0:2, 0:2], probs[0, 0:2, 0:2] = 0.5, 0.5
    masks = segmentation_masks(probs, torch.tensor([[1.0, 1.0, 5.0, 5.0], [0.0, 0.0, 10.0, 10.0]]),
                               torch.tensor([1, 0]), (10, 10))
    assert masks[0].sum() == 9 and masks[0, 2:5, 2:5].all() and not masks[0, 5, 5]   # cut to the box
    assert masks[1].sum() == 4 and masks[1, 0:2, 0:2].all()   # >= 0.5


def test_network_with_segmentation_trains_and_predicts_its_map():
    net = _network("mechanism_segmentation")
    assert isinstance(net.is_head, ISHead)
    x = torch.randn(2, 3, 128, 128)
    labels = torch.tensor([[1.0, 0, 0, 1, 0, 0], [0, 0, 1, 0, 0, 0]])
    losses = net.loss(x, [{"gt_labels": labels[i], "proposals": BOXES} for i in range(2)])
    assert set(losses) == {"loss_midn", "loss_refine", "loss_regress", "loss_cam", "loss_is"}
    assert torch.isfinite(losses["loss_is"]) and losses["loss_is"] > 0
    sum(losses.values()).backward()
    assert net.is_head.classifier.weight.grad.abs().sum() > 0
    assert net.is_head.conv1.conv.weight.grad.abs().sum() > 0
    net.eval()
    scores, boxes, cam, probs = net.predict_image(x[:1], BOXES, with_segmentation=True)
    assert probs.shape == (7, 16, 16) and cam.shape == (6, 16, 16)   # C + 1 classes on the 16 x 16 IMG grid
    torch.testing.assert_close(probs.sum(0), torch.ones(16, 16))
    assert len(net.predict_image(x[:1], BOXES)) == 3


def test_pseudo_ground_truth_is_the_regressors_seeds():
    net = _network("mechanism")
    rois = net.detector.roi_features(net.levels(torch.randn(1, 3, 128, 128))["res4"], BOXES)
    image_labels = torch.tensor([0.0, 1, 0, 0, 1, 0])
    losses, (boxes, labels, scores) = net.detector.head_losses(rois, BOXES, image_labels, return_seeds=True)
    assert set(losses) == {"loss_midn", "loss_refine", "loss_regress"}
    assert labels.tolist() == [1, 4] and boxes.shape == (2, 4) and scores.shape == (2,)
    last = net.detector.refine(rois)[-2][:, 1:]   # stream K-1 supervises stream K
    assert torch.equal(scores, last[:, labels].max(0).values)
    assert torch.equal(boxes, BOXES[last[:, labels].max(0).indices])


def test_network_without_segmentation_is_unchanged():
    net = _network("mechanism")
    assert net.is_head is None
    x = torch.randn(2, 3, 128, 128)
    labels = torch.tensor([[1.0, 0, 0, 1, 0, 0], [0, 0, 1, 0, 0, 0]])
    losses = net.loss(x, [{"gt_labels": labels[i], "proposals": BOXES} for i in range(2)])
    assert set(losses) == {"loss_midn", "loss_refine", "loss_regress", "loss_cam"}
    with pytest.raises(ValueError, match="segmentation"):
        net.eval().predict_image(x[:1], BOXES, with_segmentation=True)


def test_mask_source_segmentation_needs_the_module():
    assert mask_source(load_config("dcl", "mechanism")) == "cam"
    assert mask_source(load_config("dcl", "mechanism_segmentation")) == "segmentation"
    cfg = load_config("dcl", "mechanism_segmentation")
    cfg.model.segmentation = None   # the mask source without the module
    with pytest.raises(WsisbenchError, match=r"masks.source='segmentation'.*model.segmentation"):
        mask_source(cfg)
    cfg = load_config("dcl", "mechanism")
    cfg.masks.source = "gradcam"
    with pytest.raises(WsisbenchError, match="masks.source must be one of"):
        mask_source(cfg)


def test_inference_averages_the_is_map_over_the_views():
    import numpy as np

    from wsisbench.methods.dcl.stages import infer_image

    net = _network("mechanism_segmentation").eval()
    img = np.random.default_rng(0).integers(0, 255, (96, 112, 3), dtype=np.uint8)
    test_cfg = dict(scales=(96,), flip=True, max_size=None, cam_levels=3)
    scores, boxes, cam, probs = infer_image(net, img, BOXES * 0.7, test_cfg, "cpu", with_segmentation=True)
    assert probs.shape == (7, 96, 112) and cam.shape == (6, 96, 112) and scores.shape == (3, 6)
    torch.testing.assert_close(probs.sum(0), torch.ones(96, 112))
    plain = infer_image(net, img, BOXES * 0.7, test_cfg, "cpu")
    assert len(plain) == 3 and torch.equal(plain[2], cam)

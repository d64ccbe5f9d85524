"""DCL's detector: OICR with the box regressor on a C4 network (tiny backbones, 64 x 64 images, CPU)."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from wsisbench.methods.dcl.detector import ConvRoIStage, OICRDetector
from wsisbench.methods.dcl.oicr import midn_loss, oicr_pseudo_labels, refinement_losses
from wsisbench.methods.dcl.regressor import regression_loss, regression_targets

NUM_CLASSES = 3
PROPOSALS = torch.tensor([
    [4.0, 4.0, 30.0, 30.0],
    [6.0, 5.0, 28.0, 31.0],
    [30.0, 10.0, 60.0, 50.0],
    [32.0, 12.0, 58.0, 52.0],
    [0.0, 0.0, 63.0, 63.0],
    [10.0, 40.0, 25.0, 60.0],
])
LABELS = torch.tensor([1, 0, 1])


@pytest.fixture(autouse=True)
def _one_thread():
    """One intra-op thread: on a busy 2-core machine, two threads wait on each other for tiny convs."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _resnet18_c4(**kwargs) -> OICRDetector:
    """ResNet-18 to res4 (256 channels at stride 16) + res5 as mmdet's C4 shared head (512 channels).

    RoIAlign to 4 x 4 (2 x 2 after res5) keeps the tests fast; the default is 14.
    """
    backbone = dict(type="mmdet.ResNet", depth=18, num_stages=3, strides=(1, 2, 2), dilations=(1, 1, 1),
                    out_indices=(2,), norm_eval=False)
    shared_head = dict(type="mmdet.ResLayer", depth=18, stage=3, norm_eval=False)
    kwargs.setdefault("roi_size", 4)
    kwargs.setdefault("regressor_hidden", 16)
    return OICRDetector(backbone, shared_head, num_classes=NUM_CLASSES, **kwargs)


def _image() -> torch.Tensor:
    return torch.randn(1, 3, 64, 64)


def test_forward_features_shape_and_rois_outside_the_image():
    torch.manual_seed(0)
    det = _resnet18_c4()
    assert det.roi_channels == 512
    outside = torch.tensor([[-40.0, -30.0, -5.0, -2.0], [70.0, 60.0, 120.0, 100.0], [50.0, 50.0, 90.0, 90.0]])
    feats = det.forward_features(_image(), torch.cat([PROPOSALS, outside]))
    assert feats.shape == (len(PROPOSALS) + 3, 512)
    assert torch.isfinite(feats).all()


@pytest.mark.parametrize("mode", ["agnostic", "specific", "none"])
def test_loss_is_finite_and_reaches_the_backbone(mode):
    torch.manual_seed(0)
    det = _resnet18_c4(regressor=mode)
    losses = det.loss(_image(), PROPOSALS, LABELS)
    expected = {"loss_midn", "loss_refine"} | ({"loss_regress"} if mode != "none" else set())
    assert set(losses) == expected
    for value in losses.values():
        assert value.dim() == 0 and torch.isfinite(value)
    sum(losses.values()).backward()
    grad = det.backbone.conv1.weight.grad
    assert grad is not None and grad.abs().sum() > 0
    if mode != "none":
        assert det.regressor.out.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("weighting", ["seed", "uniform"])
def test_loss_terms_match_the_heads_called_directly(weighting):
    """'regress' goes towards the seeds of the last stream's input scores; foreground proposals are weighted
    by their OICR weights ('seed') or by 1 ('uniform')."""
    torch.manual_seed(1)
    det = _resnet18_c4(regressor="agnostic", regress_weighting=weighting).eval()
    img = _image()
    losses = det.loss(img, PROPOSALS, LABELS)
    feats = det.forward_features(img, PROPOSALS)
    midn = det.midn(feats)
    refined = det.refine(feats)
    torch.testing.assert_close(losses["loss_midn"], midn_loss(midn.image_scores, LABELS))
    torch.testing.assert_close(
        losses["loss_refine"], sum(refinement_losses(PROPOSALS, midn.proposal_scores, refined, LABELS)))
    last_input = refined[-2][:, 1:]
    seeds = last_input[:, [0, 2]].argmax(0)
    labels, weights = oicr_pseudo_labels(PROPOSALS, last_input, LABELS)
    targets = regression_targets(PROPOSALS, PROPOSALS[seeds])
    fg = (labels > 0).float()
    expected = regression_loss(det.regressor(feats), targets, weights * fg if weighting == "seed" else fg)
    torch.testing.assert_close(losses["loss_regress"], expected)
    assert (targets[seeds] == 0).all()  # a seed is its own pseudo ground truth


def test_loss_without_classes_gives_zero_regression():
    torch.manual_seed(0)
    det = _resnet18_c4(regressor="agnostic")
    losses = det.loss(_image(), PROPOSALS, torch.zeros(NUM_CLASSES, dtype=torch.long))
    assert losses["loss_regress"].item() == 0.0
    assert torch.isfinite(losses["loss_midn"]) and losses["loss_refine"].item() == 0.0


@pytest.mark.parametrize("mode", ["agnostic", "specific", "none"])
def test_predict_is_the_mean_of_the_streams(mode):
    torch.manual_seed(0)
    det = _resnet18_c4(regressor=mode).eval()
    img = _image()
    scores, boxes = det.predict(img, PROPOSALS)
    assert scores.shape == (len(PROPOSALS), NUM_CLASSES)
    assert ((scores >= 0) & (scores <= 1)).all()
    with torch.no_grad():
        refined = det.refine(det.forward_features(img, PROPOSALS))
    expected = sum(s[:, 1:] for s in refined) / len(refined)
    torch.testing.assert_close(scores, expected)
    if mode == "none":
        assert torch.equal(boxes, PROPOSALS)
    elif mode == "agnostic":
        assert boxes.shape == (len(PROPOSALS), 4)
    else:
        assert boxes.shape == (len(PROPOSALS), NUM_CLASSES, 4)


def test_zeroed_agnostic_regressor_keeps_the_proposals():
    torch.manual_seed(0)
    det = _resnet18_c4(regressor="agnostic").eval()
    nn.init.zeros_(det.regressor.out.weight)
    nn.init.zeros_(det.regressor.out.bias)
    _, boxes = det.predict(_image(), PROPOSALS)
    torch.testing.assert_close(boxes, PROPOSALS, atol=1e-4, rtol=0)


def test_postprocess_suppresses_per_class():
    scores = torch.tensor([[0.9, 0.1], [0.8, 0.7], [0.0005, 0.6]])
    boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0], [1.0, 0.0, 10.0, 10.0], [30.0, 30.0, 40.0, 40.0]])
    out_boxes, out_scores, out_labels = OICRDetector.postprocess(scores, boxes, score_thr=1e-3, iou_thr=0.3)
    # class 0: box 1 overlaps box 0 (IoU 0.9), box 2 is under the threshold; class 1: boxes 1 and 2 stay
    assert out_scores.tolist() == pytest.approx([0.9, 0.7, 0.6])
    assert out_labels.tolist() == [0, 1, 1]
    torch.testing.assert_close(out_boxes, boxes[[0, 1, 2]])


def test_efficientnet_variant_with_the_default_stage():
    torch.manual_seed(0)
    backbone = dict(type="EfficientNetLite0Pyramid", out_indices=(2,), pretrained=False)
    det = OICRDetector(backbone, None, num_classes=NUM_CLASSES, roi_size=4, regressor_hidden=16)
    assert isinstance(det.shared_head, ConvRoIStage) and det.roi_channels == 224
    losses = det.loss(_image(), PROPOSALS, LABELS)
    sum(losses.values()).backward()
    grad = det.backbone.net._conv_stem.weight.grad
    assert grad is not None and grad.abs().sum() > 0


def test_paper_config_resnet50_gn_builds_and_runs():
    torch.manual_seed(0)
    gn = dict(type="GN", num_groups=32, requires_grad=True)
    backbone = dict(type="mmdet.ResNet", depth=50, num_stages=3, strides=(1, 2, 2), dilations=(1, 1, 1),
                    out_indices=(2,), norm_cfg=gn, norm_eval=False)
    shared_head = dict(type="mmdet.ResLayer", depth=50, stage=3, norm_cfg=gn, norm_eval=False)
    det = OICRDetector(backbone, shared_head, num_classes=20)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in det.modules())
    with torch.no_grad():
        feats = det.forward_features(torch.randn(1, 3, 64, 64), PROPOSALS[:3])
    assert feats.shape == (3, 2048)
    assert det.regressor.out.out_features == 4


def test_bad_inputs_raise():
    with pytest.raises(ValueError):
        _resnet18_c4(regressor="boxes")
    det = _resnet18_c4()
    with pytest.raises(ValueError):
        det.forward_features(torch.randn(2, 3, 64, 64), PROPOSALS)
    with pytest.raises(ValueError):
        det.forward_features(_image(), PROPOSALS[:, :3])

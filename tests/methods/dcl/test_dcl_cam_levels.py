"""DCL's multi-level CAMs (IMG module): grid sizes, Eq. (5), smoothing, fusion and box masks."""
from __future__ import annotations

import pytest
import torch

from wsisbench.methods.dcl.cam_levels import (
    LEVEL_ORDER,
    MultiLevelCAM,
    box_masks,
    cam_loss,
    fuse_cams,
    resize_to_grid,
)

# ResNet-50 spatial sizes for a 448 x 448 input, with small channel counts.
CHANNELS = {"res2": 8, "res3": 16, "res4": 32, "res5": 64}
SIZES = {"res2": 112, "res3": 56, "res4": 28, "res5": 14}
NUM_CLASSES = 3


def _feats(batch: int = 2, scale: float = 1.0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return {n: scale * torch.rand(batch, CHANNELS[n], SIZES[n], SIZES[n], generator=g) for n in CHANNELS}


def _model(**kwargs) -> MultiLevelCAM:
    torch.manual_seed(0)
    kwargs.setdefault("num_levels", 4)
    return MultiLevelCAM(NUM_CLASSES, in_channels=CHANNELS, grid_size=28, channels=8, **kwargs)


@pytest.mark.parametrize("num_levels", [1, 2, 3, 4])
def test_every_level_is_28x28_and_the_level_count_is_right(num_levels):
    model = _model(num_levels=num_levels)
    logits, cams = model(_feats())
    assert model.level_names == LEVEL_ORDER[:num_levels]
    assert logits.shape == (2, num_levels, NUM_CLASSES)
    assert cams.shape == (2, num_levels, NUM_CLASSES, 28, 28)
    assert all(f.shape == (2, 8, 28, 28) for f in model.features(_feats()))


def test_three_levels_are_the_papers_and_need_no_res2():
    model = _model(num_levels=3)
    assert set(model.level_names) == {"res3", "res4", "res5"}
    feats = _feats()
    del feats["res2"]
    assert model(feats)[1].shape[1] == 3
    with pytest.raises(KeyError):
        _model(num_levels=4)(feats)
    with pytest.raises(ValueError):
        _model(num_levels=5)


def test_spp_pools_bins_and_res5_is_upsampled():
    x = torch.zeros(1, 1, 56, 56)
    x[0, 0, 10, 21] = 4.0
    pooled_max = resize_to_grid(x, 28, "pool", "max")
    pooled_avg = resize_to_grid(x, 28, "pool", "avg")
    assert pooled_max.shape == (1, 1, 28, 28)
    assert pooled_max[0, 0, 5, 10] == 4.0 and pooled_max.sum() == 4.0
    assert pooled_avg[0, 0, 5, 10] == 1.0
    const = torch.full((1, 2, 14, 14), 3.0)
    torch.testing.assert_close(resize_to_grid(const, 28, "upsample"), torch.full((1, 2, 28, 28), 3.0))
    model = _model(num_levels=4)
    assert model.levels["res5"].resize == "upsample"
    assert all(model.levels[n].resize == "pool" for n in ("res4", "res3", "res2"))


def test_cam_is_the_classifier_weight_per_cell_and_its_gap_is_the_logit_minus_bias():
    model = _model(num_levels=4)
    feats = _feats()
    logits, cams = model(feats)
    features = model.features(feats)
    for level, name in enumerate(model.level_names):
        fc = model.levels[name].classifier
        f = features[level]
        b, y, x = 1, 7, 19
        torch.testing.assert_close(cams[b, level, :, y, x], fc.weight @ f[b, :, y, x])
        torch.testing.assert_close(cams[:, level].mean(dim=(2, 3)), logits[:, level] - fc.bias)
        # the logits are the classifier on the GAP of the features
        torch.testing.assert_close(logits[:, level], fc(f.mean(dim=(2, 3))))


def test_feature_smoothing_is_off_by_default_and_bounds_the_input():
    feats = _feats(scale=50.0)
    plain = _model()
    assert isinstance(plain.levels["res5"].smooth, torch.nn.Identity)
    raw = plain.levels["res3"].inputs(feats["res3"])
    assert raw.max() > 1.0
    torch.testing.assert_close(raw, resize_to_grid(feats["res3"], 28, "pool", "max"))

    smooth = _model(smoothing="tanh")
    smoothed = smooth.levels["res3"].inputs(feats["res3"])
    assert smoothed.abs().max() <= 1.0
    torch.testing.assert_close(smoothed, torch.tanh(raw))
    # same weights (same seed), different CAMs
    assert not torch.allclose(plain(feats)[1], smooth(feats)[1])
    with pytest.raises(ValueError):
        _model(smoothing="softplus-ish")


def test_loss_sums_the_levels():
    logits = torch.tensor([[[2.0, -1.0, 0.5], [0.0, 0.0, 0.0]]])  # [B=1, L=2, C=3]
    labels = torch.tensor([[1, 0, 1]])
    level0 = torch.nn.functional.binary_cross_entropy_with_logits(logits[:, 0], labels.float())
    level1 = torch.nn.functional.binary_cross_entropy_with_logits(logits[:, 1], labels.float())
    torch.testing.assert_close(cam_loss(logits, labels), level0 + level1)


def test_fuse_cams_mean_and_max():
    a = torch.tensor([[[1.0, -2.0], [3.0, 0.0]]])
    b = torch.tensor([[[3.0, 2.0], [-1.0, 0.5]]])
    torch.testing.assert_close(fuse_cams([a, b]), torch.tensor([[[2.0, 0.0], [1.0, 0.25]]]))
    torch.testing.assert_close(fuse_cams([a, b], rule="max"), torch.tensor([[[3.0, 2.0], [3.0, 0.5]]]))
    torch.testing.assert_close(fuse_cams(torch.stack([a, b]), rule="mean"), fuse_cams([a, b]))
    with pytest.raises(ValueError):
        fuse_cams([a, b], rule="median")


def test_box_masks_stay_in_the_box_and_cover_the_blob():
    cam = torch.zeros(2, 28, 28)
    cam[1, 10:14, 10:14] = 1.0  # blob inside the box (image px 40..56)
    cam[1, 20:25, 20:25] = 10.0  # much brighter blob outside the box (image px 80..100)
    cam[1, 0:3, 0:3] = -5.0  # negative corner
    box = torch.tensor([[32.0, 32.0, 72.0, 72.0]])
    masks = box_masks(cam, box, torch.tensor([1]), (112, 112))
    assert masks.shape == (1, 112, 112) and masks.dtype == torch.bool
    m = masks[0]
    outside = torch.ones(112, 112, dtype=torch.bool)
    outside[32:72, 32:72] = False
    assert not m[outside].any()
    assert m[42:54, 42:54].all()  # the blob's core
    assert not m[32:36, 32:36].any() and not m[66:72, 66:72].any()  # the box's empty corners
    # class 0 has no activation: empty mask; a box around the bright blob picks that blob instead
    both = box_masks(cam, torch.tensor([[32.0, 32.0, 72.0, 72.0], [76.0, 76.0, 104.0, 104.0]]),
                     torch.tensor([0, 1]), (112, 112))
    assert not both[0].any()
    assert both[1][84:96, 84:96].all() and not both[1][:76].any()
    # a stricter threshold gives a smaller mask
    assert box_masks(cam, box, torch.tensor([1]), (112, 112), threshold=0.9).sum() < m.sum()

"""DSRG pieces: seeded region growing, seeding loss, CRF boundary loss, semi-supervised total."""
import math

import numpy as np
import torch

from wsisbench.models.dsrg import (
    DSRGLoss,
    boundary_loss,
    crf_refine,
    dense_crf,
    grow_seeds_batch,
    seeded_region_growing,
    seeding_loss,
)

U = 255


def probs_from_fg(fg: np.ndarray) -> np.ndarray:
    """2-class probabilities [2, H, W] with class-1 probability ``fg``."""
    return np.stack([1.0 - fg, fg]).astype(np.float32)


def test_srg_grows_only_connected_pixels_above_threshold():
    seeds = np.full((5, 5), U)
    seeds[2, 2] = 1
    fg = np.array([[0.9, 0.0, 0.0, 0.0, 0.9],
                   [0.0, 0.0, 0.0, 0.0, 0.0],
                   [0.0, 0.9, 0.9, 0.9, 0.8],
                   [0.0, 0.0, 0.9, 0.0, 0.0],
                   [0.0, 0.0, 0.0, 0.0, 0.95]])
    fg[2, 2] = 0.1  # a seed stays a seed whatever its probability
    out = seeded_region_growing(seeds, probs_from_fg(fg), [1], bg_threshold=1.0, fg_threshold=0.85)
    expected = np.full((5, 5), U)
    expected[2, 1:4] = 1  # connected and > 0.85
    expected[3, 2] = 1
    # (2,4) is connected but 0.8 < 0.85; (0,0), (0,4), (4,4) exceed but are not connected
    assert np.array_equal(out, expected)


def test_srg_connectivity_and_background():
    seeds = np.full((3, 3), U)
    seeds[0, 0] = 1
    seeds[2, 2] = 0
    fg = np.array([[0.5, 0.0, 0.0],
                   [0.0, 0.9, 0.0],
                   [0.0, 0.0, 0.0]])
    p = probs_from_fg(fg)
    eight = seeded_region_growing(seeds, p, [1], bg_threshold=0.99, fg_threshold=0.85, connectivity=8)
    four = seeded_region_growing(seeds, p, [1], bg_threshold=0.99, fg_threshold=0.85, connectivity=4)
    assert eight[1, 1] == 1 and four[1, 1] == U  # diagonal neighbour only in 8-connectivity
    # background prob is 1.0 > 0.99 at every fg == 0 pixel connected to the background seed
    assert eight[0, 1] == 0 and eight[2, 0] == 0 and eight[0, 0] == 1 and eight[2, 2] == 0


def test_srg_never_overwrites_and_uses_present_classes_only():
    seeds = torch.tensor([[1, U, 2]])
    probs = torch.tensor([[[0.0, 0.0, 0.0]], [[0.05, 0.05, 0.05]], [[0.0, 0.0, 0.0]], [[0.95, 0.95, 0.95]]])
    # class 3 has the highest probability but is absent from the image: the argmax is over present classes
    out = grow_seeds_batch(seeds[None], probs[None], torch.tensor([[0, 1, 1, 0]]), fg_threshold=0.01)
    assert out.tolist() == [[[1, 1, 2]]]  # class 1 wins among present {0, 1, 2}; seeds are kept


def test_seeding_loss_balanced_terms():
    logits = torch.zeros(1, 3, 1, 4, dtype=torch.float64)
    logits[0, 1, 0, 1] = math.log(3.0)  # p = (1/5, 3/5, 1/5) at pixel 1
    seeds = torch.tensor([[[0, 1, 2, U]]])
    loss = seeding_loss(logits, seeds)
    bg = -math.log(1 / 3)  # one background seed pixel
    fg = (-math.log(3 / 5) - math.log(1 / 3)) / 2  # two foreground seed pixels, averaged together
    assert math.isclose(loss.item(), bg + fg, rel_tol=1e-12)
    only_fg = seeding_loss(logits, torch.tensor([[[U, 1, U, U]]]))
    assert math.isclose(only_fg.item(), -math.log(3 / 5), rel_tol=1e-12)  # empty term counts 0


def test_crf_output_is_a_distribution(gen):
    probs = torch.softmax(torch.randn(3, 6, 7, generator=gen), 0).numpy()
    image = (torch.rand(6, 7, 3, generator=gen) * 255).to(torch.uint8).numpy()
    q = dense_crf(probs, image, scale_factor=1.0)
    assert q.shape == (3, 6, 7) and q.dtype == np.float32
    assert np.all(q > 0) and np.allclose(q.sum(0), 1.0, atol=1e-5)
    # without pairwise terms the mean-field solution is the unary distribution itself
    alone = dense_crf(probs, image, scale_factor=1.0, gaussian_compat=0.0, bilateral_compat=0.0)
    np.testing.assert_allclose(alone, probs, atol=1e-5)


def test_crf_follows_the_colour_edge_and_removes_unary_noise():
    """Two flat colour halves; the unary says class 0 on the left, 1 on the right, with wrong speckles:
    the bilateral kernel (same colour, near) pulls the speckles back to their half's class."""
    h, w = 12, 16
    image = np.zeros((h, w, 3), np.uint8)
    image[:, w // 2:] = 255
    truth = np.zeros((h, w), np.int64)
    truth[:, w // 2:] = 1
    probs = np.where(truth[None] == np.arange(2)[:, None, None], 0.8, 0.2).astype(np.float32)
    speckles = np.zeros((h, w), bool)
    speckles[2::5, 1::5] = True
    probs[:, speckles] = probs[::-1][:, speckles]  # these pixels now favour the wrong class at 0.8
    assert (probs.argmax(0) != truth).sum() == speckles.sum() > 0
    q = dense_crf(probs, image, scale_factor=1.0, gaussian_compat=0.0, bilateral_sxy=10.0, bilateral_srgb=13.0,
                  bilateral_compat=10.0)
    np.testing.assert_array_equal(q.argmax(0), truth)


def test_boundary_loss_gradient_reaches_logits_only(gen):
    logits = torch.randn(2, 3, 5, 5, dtype=torch.float64, generator=gen, requires_grad=True)
    images = (torch.rand(2, 3, 10, 10, generator=gen) * 255).requires_grad_(True)
    q = crf_refine(logits, images)
    assert not q.requires_grad and torch.allclose(q.sum(1), torch.ones(2, 5, 5, dtype=torch.float64))
    loss = boundary_loss(logits, images, crf_probs=q)
    loss.backward()
    assert images.grad is None and loss.item() >= 0
    n = 2 * 5 * 5  # d KL(Q || softmax) / d logits = (softmax - Q) / n
    assert torch.allclose(logits.grad, (torch.softmax(logits.detach(), 1) - q) / n, atol=1e-12)
    # the value is KL(Q || softmax) averaged over pixels, computed here by hand
    p = torch.softmax(logits.detach(), 1).numpy()
    qn = q.numpy()
    assert np.isclose(loss.item(), float((qn * (np.log(qn) - np.log(p))).sum(1).mean()), rtol=1e-10)


def test_dsrg_loss_semi_supervised_total(gen):
    logits = torch.randn(3, 3, 4, 4, dtype=torch.float64, generator=gen, requires_grad=True)
    images = torch.rand(3, 3, 4, 4, generator=gen) * 255
    seeds = torch.full((3, 4, 4), U)
    seeds[:, 0, 0], seeds[:, 3, 3] = 0, 1
    image_labels = torch.tensor([[1, 1, 0], [1, 1, 0], [1, 0, 1]])
    full_labels = torch.randint(0, 3, (3, 4, 4), generator=gen)
    is_full = torch.tensor([False, True, False])
    crit = DSRGLoss(alpha=2.0, grow=False)
    out = crit(logits, images, seeds, image_labels, full_labels, is_full)
    weak = ~is_full
    assert torch.allclose(out["loss_seed"], seeding_loss(logits[weak], seeds[weak]))
    assert torch.allclose(out["loss_boundary"], boundary_loss(logits[weak], images[weak]))
    ce = torch.nn.functional.cross_entropy(logits[is_full], full_labels[is_full])
    assert torch.allclose(out["loss_full"], ce)
    assert torch.allclose(out["loss"], out["loss_seed"] + out["loss_boundary"] + 2.0 * ce)
    out["loss"].backward()
    assert logits.grad is not None
    weak_only = DSRGLoss()(logits.detach(), images, seeds, image_labels)  # grows seeds, no full images
    assert weak_only["loss_full"].item() == 0.0

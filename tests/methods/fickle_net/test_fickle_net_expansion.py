"""Map expansion vs the naive per-position convolution: same outputs and gradients for the same mask."""
import pytest
import torch
import torch.nn.functional as F

from wsisbench.methods.fickle_net.head import (
    FickleNetHead,
    NaiveFickleNetHead,
    center_fixed_dropout_mask,
    expand_feature_map,
    naive_fickle_scores,
)


def test_expand_layout():
    x = torch.arange(2 * 3 * 4 * 5, dtype=torch.float64).view(2, 3, 4, 5)
    k, r = 3, 1
    xe = expand_feature_map(x, k)
    assert xe.shape == (2, 3, 12, 15)
    xp = F.pad(x, (r, r, r, r))
    for i in range(4):
        for j in range(5):
            assert torch.equal(xe[:, :, i * k:(i + 1) * k, j * k:(j + 1) * k], xp[:, :, i:i + k, j:j + k])
            assert torch.equal(xe[:, :, i * k + r, j * k + r], x[:, :, i, j])  # block centre = the position


@pytest.mark.parametrize("k,p,shape", [(3, 0.5, (2, 4, 5, 6)), (5, 0.9, (1, 3, 4, 3)), (1, 0.3, (2, 2, 3, 3)),
                                       (3, 0.0, (1, 2, 6, 4))])
def test_naive_equals_expanded_with_grads(k, p, shape, gen):
    b, c, h, w = shape
    x1 = torch.randn(shape, dtype=torch.float64, generator=gen, requires_grad=True)
    x2 = x1.detach().clone().requires_grad_(True)
    head = FickleNetHead(c, 3, kernel_size=k, dropout_p=p).double()
    naive = NaiveFickleNetHead(c, 3, kernel_size=k, dropout_p=p).double()
    naive.load_state_dict(head.state_dict())
    mask = center_fixed_dropout_mask(b, c, h, w, k, p, generator=gen, dtype=torch.float64)
    for mode in ("train", "eval"):
        getattr(head, mode)(), getattr(naive, mode)()
        s1 = head.position_scores(x1, mask)
        s2 = naive.position_scores(x2, mask)
        assert s1.shape == (b, 3, h, w)
        assert torch.allclose(s1, s2, atol=1e-12, rtol=1e-10)
        g = torch.randn(s1.shape, dtype=torch.float64, generator=gen)
        grads1 = torch.autograd.grad(s1, (x1, head.weight, head.bias), g)
        grads2 = torch.autograd.grad(s2, (x2, naive.weight, naive.bias), g)
        for a, bb in zip(grads1, grads2):
            assert torch.allclose(a, bb, atol=1e-12, rtol=1e-10)


def test_naive_function_against_unfold_reference(gen):
    """A third, independent formulation: unfold columns times the kernel, with the mask per column."""
    k, (b, c, h, w) = 3, (2, 3, 4, 5)
    x = torch.randn(b, c, h, w, dtype=torch.float64, generator=gen)
    weight = torch.randn(4, c, k, k, dtype=torch.float64, generator=gen)
    mask = center_fixed_dropout_mask(b, c, h, w, k, 0.6, generator=gen, dtype=torch.float64)
    cols = F.unfold(x, k, padding=k // 2).view(b, c, k, k, h, w)
    mcols = mask.view(b, c, h, k, w, k).permute(0, 1, 3, 5, 2, 4)
    ref = torch.einsum("bcuvhw,kcuv->bkhw", cols * mcols, weight)
    assert torch.allclose(naive_fickle_scores(x, weight, None, k, mask), ref, atol=1e-12)


def test_logits_are_gap_and_loss(gen):
    head = FickleNetHead(3, 2, dropout_p=0.0).double()
    x = torch.randn(2, 3, 4, 4, dtype=torch.float64, generator=gen)
    logits = head(x)
    assert torch.allclose(logits, head.position_scores(x).mean((2, 3)))
    labels = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    ref = -(labels * torch.sigmoid(logits).log() + (1 - labels) * (1 - torch.sigmoid(logits)).log()).mean()
    assert torch.allclose(head.loss(logits, labels), ref)


def test_registry_builds_heads():
    from wsisbench.registry import MODELS
    head = MODELS.build(dict(type="FickleNetHead", in_channels=4, num_classes=2, kernel_size=5, dropout_p=0.5))
    assert isinstance(head, FickleNetHead) and head.kernel_size == 5
    assert isinstance(MODELS.build(dict(type="NaiveFickleNetHead", in_channels=4, num_classes=2)),
                      NaiveFickleNetHead)


@pytest.mark.parametrize("bad", [dict(kernel_size=4), dict(dropout_p=1.0), dict(train_selection="x")])
def test_rejects_bad_settings(bad):
    with pytest.raises(ValueError):
        FickleNetHead(2, 2, **bad)

"""Centre-fixed spatial dropout: the kernel centre is never dropped, at train and at eval time."""
import pytest
import torch
import torch.nn.functional as F

from wsisbench.methods.fickle_net.head import FickleNetHead, block_view, center_fixed_dropout_mask


@pytest.mark.parametrize("k", [3, 5, 9])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_centre_never_dropped(k, p, gen):
    r = k // 2
    for rescale in (True, False):
        for _ in range(20):
            mask = center_fixed_dropout_mask(2, 3, 4, 5, k, p, rescale=rescale, generator=gen)
            blocks = block_view(mask, k)  # [B, C, H, k, W, k]
            assert torch.all(blocks[:, :, :, r, :, r] == 1.0)
            kept = 1.0 / (1.0 - p) if rescale else 1.0
            others = blocks.clone()
            others[:, :, :, r, :, r] = 0.0
            assert torch.all((others == 0.0) | torch.isclose(others, torch.tensor(kept)))


def test_drop_rate_and_independence(gen):
    k, p = 3, 0.7
    mask = center_fixed_dropout_mask(4, 16, 8, 8, k, p, generator=gen)
    blocks = block_view(mask, k)
    non_centre = torch.ones(k, k, dtype=torch.bool)
    non_centre[1, 1] = False
    dropped = (blocks == 0).permute(0, 1, 2, 4, 3, 5)[..., non_centre]  # [B, C, H, W, k*k-1]
    assert abs(dropped.float().mean().item() - p) < 0.02
    # each sliding-window position (block) draws its own selection
    flat = dropped.permute(0, 2, 3, 1, 4).reshape(4 * 8 * 8, -1)
    assert torch.unique(flat, dim=0).shape[0] > 0.95 * flat.shape[0]


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_head_keeps_centre_in_train_and_eval(mode, gen):
    """With a kernel that reads only its centre tap, the stochastic head equals the plain conv for any p."""
    c, k = 4, 5
    x = torch.randn(2, c, 6, 7, dtype=torch.float64, generator=gen)
    for p in (0.3, 0.6, 0.9):
        head = FickleNetHead(c, 3, kernel_size=k, dropout_p=p).double()
        getattr(head, mode)()
        with torch.no_grad():
            centre_only = torch.zeros_like(head.weight)
            centre_only[:, :, k // 2, k // 2] = head.weight[:, :, k // 2, k // 2]
            head.weight.copy_(centre_only)
        ref = F.conv2d(x, head.weight, head.bias, padding=k // 2)
        for _ in range(10):
            mask = head.sample_mask(x, generator=gen)
            assert torch.all(block_view(mask, k)[:, :, :, k // 2, :, k // 2] == 1.0)
            assert torch.allclose(head.position_scores(x, generator=gen), ref, atol=1e-12)


def test_dropout_active_at_inference(gen):
    head = FickleNetHead(8, 2, kernel_size=3, dropout_p=0.5).double().eval()
    x = torch.randn(1, 8, 5, 5, dtype=torch.float64, generator=gen)
    assert not torch.allclose(head(x, generator=gen), head(x, generator=gen))


def test_general_and_deterministic_selections(gen):
    x = torch.randn(1, 6, 5, 5, dtype=torch.float64, generator=gen)
    head = FickleNetHead(6, 2, kernel_size=3, dropout_p=0.5, train_selection="general",
                         infer_selection="deterministic").double()
    ref = F.conv2d(x, head.weight, head.bias, padding=1)
    head.eval()
    assert torch.allclose(head.position_scores(x), ref)  # D: no dropout at inference
    head.train()
    mask = head.sample_mask(x, generator=gen)  # G: element mask on x, no centre kept fixed
    assert mask.shape == x.shape and set(mask.unique().tolist()) <= {0.0, 2.0}
    assert torch.allclose(head.position_scores(x, mask), F.conv2d(x * mask, head.weight, head.bias, padding=1))


def test_general_channel_mode_drops_whole_channels(gen):
    x = torch.randn(2, 6, 4, 4, dtype=torch.float64, generator=gen)
    head = FickleNetHead(6, 2, dropout_p=0.5, train_selection="general", general_mode="channel").double()
    mask = head.sample_mask(x, generator=gen)
    assert mask.shape == (2, 6, 1, 1)
    assert torch.allclose(head.position_scores(x, mask), F.conv2d(x * mask, head.weight, head.bias, padding=1))

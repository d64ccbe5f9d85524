"""Grad-CAM (seed eq. 1) against central finite differences on a tiny head (float64)."""
import torch
import torch.nn.functional as F

from wsisbench.methods.fickle_net.head import FickleNetHead
from wsisbench.methods.fickle_net.localization import class_grad_cams, grad_cam


def finite_difference_grad(fn, x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    grad = torch.zeros_like(x)
    flat, gflat = x.view(-1), grad.view(-1)
    for i in range(flat.numel()):
        old = flat[i].item()
        flat[i] = old + eps
        up = fn(x)
        flat[i] = old - eps
        down = fn(x)
        flat[i] = old
        gflat[i] = (up - down) / (2 * eps)
    return grad


def test_grad_cam_matches_finite_differences(gen):
    n, c, h, w, k = 3, 2, 3, 4, 3
    head = FickleNetHead(c, 2, kernel_size=k, dropout_p=0.5).double()
    x = torch.randn(n, c, h, w, dtype=torch.float64, generator=gen)
    mask = head.sample_mask(x, generator=gen)  # one random selection per pass (row)
    xs = x.clone().requires_grad_(True)
    logits = head(xs, mask)
    cams = class_grad_cams(xs, logits, [0, 1])  # [n, 2, h, w]
    assert cams.shape == (n, 2, h, w)
    with torch.no_grad():
        for row in range(n):
            for cls in (0, 1):
                def score(v, row=row, cls=cls):
                    return head(v[None], mask[row:row + 1])[0, cls].item()
                fd = finite_difference_grad(score, x[row].clone())
                expected = torch.relu((x[row] * fd).sum(0))
                assert torch.allclose(cams[row, cls], expected, atol=1e-7)
                assert torch.allclose(grad_cam(x[row:row + 1], fd[None])[0], expected)


def test_grad_cam_of_linear_head_is_closed_form(gen):
    """p = 0: S^c = mean over positions of conv(x); dS/dx is the kernel's overlap-add over windows / (h*w)."""
    c, h, w, k = 2, 4, 4, 3
    head = FickleNetHead(c, 1, kernel_size=k, dropout_p=0.0).double()
    x = torch.randn(1, c, h, w, dtype=torch.float64, generator=gen, requires_grad=True)
    cams = class_grad_cams(x, head(x), [0])
    ones = torch.ones(1, 1, h, w, dtype=torch.float64)
    grad = F.conv_transpose2d(ones, head.weight, padding=k // 2) / (h * w)
    assert torch.allclose(cams[0, 0], torch.relu((x.detach() * grad).sum(1))[0])


def test_channel_mean_mode(gen):
    x = torch.randn(2, 3, 4, 4, dtype=torch.float64, generator=gen)
    g = torch.randn(2, 3, 4, 4, dtype=torch.float64, generator=gen)
    expected = torch.relu((x * g.mean((2, 3), keepdim=True)).sum(1))
    assert torch.allclose(grad_cam(x, g, "channel_mean"), expected)

"""N-pass localization maps: p = 0 determinism, chunking, naive vs expanded, one backbone forward."""
import torch
import torch.nn.functional as F
from torch import nn

from wsisbench.methods.fickle_net.classifier import FickleNetClassifier
from wsisbench.methods.fickle_net.head import FickleNetHead, NaiveFickleNetHead
from wsisbench.methods.fickle_net.localization import fickle_localization_maps


def test_p0_is_deterministic_and_equals_plain_conv(gen):
    head = FickleNetHead(4, 3, kernel_size=3, dropout_p=0.0).double()
    x = torch.randn(1, 4, 5, 6, dtype=torch.float64, generator=gen)
    ref = F.conv2d(F.pad(x, (1, 1, 1, 1)), head.weight, head.bias)  # ordinary conv on the padded map
    for mode in ("train", "eval"):
        getattr(head, mode)()
        assert torch.allclose(head.position_scores(x), ref, atol=1e-12)
    maps = fickle_localization_maps(x[0], head, [0, 2], num_passes=7, chunk=3)
    # an independent reference: Grad-CAM of the plain convolution, differentiated by autograd
    expected = []
    for c in (0, 2):
        xs = x.clone().requires_grad_(True)
        score = F.conv2d(F.pad(xs, (1, 1, 1, 1)), head.weight, head.bias)[0, c].mean()
        (grad,) = torch.autograd.grad(score, xs)
        cam = torch.relu((xs.detach() * grad).sum(1))[0]
        expected.append(cam / cam.max())
    expected = torch.stack(expected)
    assert torch.allclose(maps.mean, expected, atol=1e-12) and torch.allclose(maps.peak, expected, atol=1e-12)
    assert maps.classes == [0, 2] and maps.num_passes == 7


def test_naive_and_expanded_localization_agree():
    head = FickleNetHead(3, 2, kernel_size=3, dropout_p=0.7).double().eval()
    naive = NaiveFickleNetHead(3, 2, kernel_size=3, dropout_p=0.7).double().eval()
    naive.load_state_dict(head.state_dict())
    x = torch.randn(3, 4, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    a = fickle_localization_maps(x, head, [1, 0], 5, 2, generator=torch.Generator().manual_seed(3))
    b = fickle_localization_maps(x, naive, [1, 0], 5, 2, generator=torch.Generator().manual_seed(3))
    assert torch.allclose(a.mean, b.mean) and torch.allclose(a.peak, b.peak)
    assert float(a.peak.max()) == 1.0 and torch.all(a.mean <= a.peak + 1e-12)


def test_stochastic_maps_statistics_and_upsampling(gen):
    head = FickleNetHead(4, 2, kernel_size=3, dropout_p=0.9).eval()
    x = torch.rand(4, 6, 6, generator=gen)
    maps = fickle_localization_maps(x, head, [0], num_passes=10, chunk=4, out_size=(12, 12), generator=gen)
    assert maps.mean.shape == maps.peak.shape == (1, 12, 12)
    assert torch.all(maps.mean >= 0) and torch.all(maps.peak <= 1.0 + 1e-6)
    assert torch.all(maps.mean <= maps.peak + 1e-6)
    assert fickle_localization_maps(x, head, [], 3, 2).mean.shape == (0, 6, 6)


class CountingBackbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.calls = 0

    def forward(self, img):
        self.calls += 1
        return (torch.relu(self.conv(img)),)


def test_classifier_runs_backbone_once(gen):
    model = FickleNetClassifier(CountingBackbone(), dict(type="FickleNetHead", in_channels=4, num_classes=2))
    img = torch.rand(1, 3, 8, 8, generator=gen)
    maps = model.localization_maps(img, [1], num_passes=9, chunk=4, generator=gen)
    assert model.backbone.calls == 1 and maps.mean.shape == (1, 8, 8)
    loss = model.loss(img, torch.tensor([[0.0, 1.0]]))
    loss.backward()
    assert model.head.weight.grad is not None and model.backbone.conv.weight.grad is not None

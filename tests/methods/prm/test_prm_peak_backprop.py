"""Peak back-propagation: hand-computed depthwise / grouped / padded cases, normalisation, attention gates."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from wsisbench.errors import WsisbenchError
from wsisbench.methods.prm.attention import ResidualAttentionModule, mask_branches_cut
from wsisbench.methods.prm.peak_backprop import bottom_probabilities, peak_response_maps, upsampled_seed


def _probs(net, x, peaks, bottom=None):
    return bottom_probabilities(net, net, x, torch.tensor(peaks), bottom=bottom)


def test_depthwise_conv_matches_the_hand_computed_case():
    conv = nn.Conv2d(2, 2, (1, 2), groups=2, bias=True)
    with torch.no_grad():
        conv.weight[:] = torch.tensor([[[[1.0, 2.0]]], [[[3.0, -1.0]]]])
        conv.bias[:] = torch.tensor([10.0, 10.0])  # biases carry no probability
    x = torch.tensor([[[[1.0, 2.0, 3.0]], [[4.0, 5.0, 6.0]]]])
    # peak: channel 0 at (0, 1) reads x[0, 0, 0, 1:3] = (2, 3) with W+ = (1, 2): z = 8
    p = _probs(conv, x, [[0, 0, 1]])[0]
    assert torch.allclose(p[0, 0], torch.tensor([0.0, 2 / 8, 6 / 8]))
    assert torch.all(p[1] == 0)  # depthwise: the other channel receives nothing
    # channel 1 at (0, 0): W+ = (3, 0) -> all mass on x[1, 0, 0]
    p = _probs(conv, x, [[1, 0, 0]])[0]
    assert torch.allclose(p[1, 0], torch.tensor([1.0, 0.0, 0.0])) and torch.all(p[0] == 0)


def test_grouped_conv_matches_the_hand_computed_case():
    conv = nn.Conv2d(4, 2, 1, groups=2, bias=False)
    with torch.no_grad():
        conv.weight[:] = torch.tensor([[1.0, 1.0], [2.0, -5.0]])[:, :, None, None]
    x = torch.tensor([1.0, 2.0, 3.0, 4.0]).view(1, 4, 1, 1).repeat(1, 1, 1, 2)
    p = _probs(conv, x, [[1, 0, 1]])[0]  # output channel 1 (group 2: inputs 2, 3) at column 1
    expected = torch.zeros(4, 1, 2)
    expected[2, 0, 1] = 1.0  # W+ = (2, 0): input 3 has a negative weight
    assert torch.allclose(p, expected)
    p = _probs(conv, x, [[0, 0, 0]])[0]  # group 1: inputs 0, 1 with W+ = (1, 1), values (1, 2)
    assert torch.allclose(p[:2, 0, 0], torch.tensor([1 / 3, 2 / 3])) and torch.all(p[2:] == 0)


def test_static_padding_equals_the_conv_padding_and_gives_no_mass_to_pads():
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 4, 3, stride=2, bias=False)
    padded = nn.Sequential(nn.ZeroPad2d(1), conv)
    same = nn.Conv2d(3, 4, 3, stride=2, padding=1, bias=False)
    same.weight.data.copy_(conv.weight.data)
    x = torch.rand(1, 3, 7, 7)
    for peak in ([[0, 0, 0]], [[2, 3, 3]], [[3, 1, 2]]):
        a, b = _probs(padded, x, peak), _probs(same, x, peak)
        assert torch.allclose(a, b, atol=1e-6) and torch.isclose(a.sum(), torch.tensor(1.0))


class _Block(nn.Module):
    """Depthwise-separable residual block (the bottom layer is its input, which both paths read)."""

    def __init__(self):
        super().__init__()
        self.dw = nn.Sequential(nn.Conv2d(8, 8, 3, 1, 1, groups=8), nn.BatchNorm2d(8), nn.ReLU(),
                                nn.Conv2d(8, 8, 1, groups=2), nn.BatchNorm2d(8))

    def forward(self, x):
        return F.relu(x + self.dw(x))


class _Net(nn.Module):
    """stem -> residual block -> attention module -> CRMs."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), nn.BatchNorm2d(8), nn.ReLU6())
        self.block = _Block()
        self.att = ResidualAttentionModule(8, depth=2)
        self.head = nn.Conv2d(8, 3, 1)

    def forward(self, x):
        return self.head(self.att(self.block(self.stem(x))))


def test_prms_are_non_negative_and_normalised_with_attention_gates():
    torch.manual_seed(0)
    net = _Net()
    with torch.no_grad():  # positive weights everywhere: every unit has positive evidence, no mass is lost
        for m in net.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.abs_()
    net.eval()
    x = torch.rand(1, 3, 16, 16)
    peaks = torch.tensor([[0, 1, 1], [2, 5, 6], [1, 7, 0]])
    for cut in (False, True):
        with mask_branches_cut(net, cut):
            prms, kept = peak_response_maps(net, net, x, peaks, bottom="block")
            raw = bottom_probabilities(net, net, x, peaks, bottom="block")
        assert prms.shape == (3, 8, 8)
        assert torch.all(prms >= 0)
        assert torch.allclose(prms.flatten(1).sum(1), torch.ones(3), atol=1e-5)
        assert torch.allclose(kept, torch.ones(3), atol=1e-4)  # probability is conserved end to end
        assert torch.allclose(raw.sum(dim=(1, 2, 3)), kept, atol=1e-5)
    assert not any(m.detach_mask for m in net.modules() if isinstance(m, ResidualAttentionModule))


def test_a_product_of_two_data_tensors_splits_the_mass_in_half():
    class Gate(nn.Module):
        def forward(self, x):
            t, m = x[:, :1], x[:, 1:]
            return (1 + torch.sigmoid(m)) * t

    x = torch.tensor([[[[2.0]], [[0.5]]]])
    p = _probs(Gate(), x, [[0, 0, 0]])[0]
    assert torch.allclose(p.flatten(), torch.tensor([0.5, 0.5]))

    class CutGate(nn.Module):
        def forward(self, x):
            t, m = x[:, :1], x[:, 1:]
            return (1 + torch.sigmoid(m).detach()) * t

    p = _probs(CutGate(), x, [[0, 0, 0]])[0]
    assert torch.allclose(p.flatten(), torch.tensor([1.0, 0.0]))


def test_an_operation_without_a_rule_is_refused():
    class Odd(nn.Module):
        def forward(self, x):
            return torch.exp(x)

    with pytest.raises(WsisbenchError, match="no probabilistic rule for 'exp'"):
        _probs(Odd(), torch.rand(1, 1, 2, 2), [[0, 0, 0]])


def test_sub_pixel_peaks_start_from_the_interpolation_weights():
    crms = -torch.rand(1, 2, 3, 3)  # negative responses: the seed must not depend on their sign
    seed = upsampled_seed(crms, torch.tensor([[1, 2, 5]]), upsample=4)  # row 2, column 5 of the 12 x 12 grid
    # align_corners: grid position d -> d * 2 / 11, so row 2 -> 4/11 (rows 0, 1), column 5 -> 10/11 (columns 0, 1)
    ry, rx = 4 / 11, 10 / 11
    expected = torch.zeros(3, 3)
    expected[0, 0], expected[0, 1] = (1 - ry) * (1 - rx), (1 - ry) * rx
    expected[1, 0], expected[1, 1] = ry * (1 - rx), ry * rx
    assert torch.allclose(seed[0, 1], expected, atol=1e-6) and torch.all(seed[0, 0] == 0)
    assert torch.isclose(seed.sum(), torch.tensor(1.0))

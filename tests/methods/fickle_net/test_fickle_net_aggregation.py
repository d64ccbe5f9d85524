"""Aggregation rules on tiny hand-made maps."""
import pytest
import torch

from wsisbench.methods.fickle_net.localization import aggregate_maps


def test_threshold_ignore_and_highest_mean_wins():
    # classes 2 and 5 (labels 3 and 6); 1 x 4 image
    peak = torch.tensor([[[0.9, 0.30, 0.8, 0.1]],
                         [[0.2, 0.34, 0.9, 0.1]]])
    mean = torch.tensor([[[0.5, 0.10, 0.4, 0.02]],
                         [[0.1, 0.20, 0.3, 0.02]]])
    labels = aggregate_maps(mean, peak, [2, 5], threshold=0.35, bg_threshold=0.05)
    # px0: only class 2 exceeds -> 3; px1: no class (peaks <= 0.35) and mean not low -> 255;
    # px2: both exceed, class 2 has the higher mean -> 3; px3: no class, low mean -> background 0
    assert labels.tolist() == [[3, 255, 3, 0]]
    mean2 = mean.clone()
    mean2[1, 0, 2] = 0.45  # now class 5 has the higher mean at px2
    assert aggregate_maps(mean2, peak, [2, 5], bg_threshold=0.05).tolist() == [[3, 255, 6, 0]]


def test_threshold_is_strict_and_background_off():
    peak = torch.tensor([[[0.35, 0.3501]]])
    mean = torch.zeros(1, 1, 2)
    assert aggregate_maps(mean, peak, [0], threshold=0.35, bg_threshold=0.0).tolist() == [[255, 1]]


def test_saliency_background_rule():
    peak = torch.tensor([[[0.9, 0.1, 0.1]]])
    mean = torch.tensor([[[0.5, 0.2, 0.2]]])
    sal = torch.tensor([[0.01, 0.01, 0.9]])
    assert aggregate_maps(mean, peak, [0], saliency=sal, saliency_threshold=0.06).tolist() == [[1, 0, 255]]
    both = aggregate_maps(mean, peak, [0], bg_threshold=0.1, saliency=sal, saliency_threshold=0.06)
    assert both.tolist() == [[1, 255, 255]]  # both rules must hold


def test_requires_a_background_rule():
    with pytest.raises(ValueError, match="background"):
        aggregate_maps(torch.zeros(1, 2, 2), torch.zeros(1, 2, 2), [0])
    with pytest.raises(ValueError):
        aggregate_maps(torch.zeros(2, 2, 2), torch.zeros(2, 2, 2), [0], bg_threshold=0.1)

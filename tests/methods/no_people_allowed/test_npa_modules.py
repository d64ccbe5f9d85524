"""NoPeopleAllowed's building blocks: label preparation, IRNet's heads, losses and random walk, and TTA."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from wsisbench.errors import WsisbenchError
from wsisbench.methods.no_people_allowed.irnet import (
    IRNetHeads,
    affinity_labels,
    boundary_affinity,
    boundary_loss,
    displacement_loss,
    pair_offsets,
    random_walk,
    segment_points,
)
from wsisbench.methods.no_people_allowed.labels import balance_by_downsampling, class_counts, remove_class
from wsisbench.methods.no_people_allowed.tta import tta_predict

torch.set_num_threads(1)
PERSON = 14


# ----------------------------------------------------------------------------------------------- labels


def test_remove_class_takes_the_person_out_of_every_list():
    labels = {"a": [14], "b": [14, 2], "c": [2, 3], "d": [3], "e": [2], "f": [2, 14, 2], "g": [5], "h": []}
    out, report = remove_class(labels, PERSON)
    assert out == {"b": [2], "c": [2, 3], "d": [3], "e": [2], "f": [2], "g": [5]}
    assert all(PERSON not in classes for classes in out.values())
    assert report["images_before"] == 8 and report["images_after"] == 6
    assert report["images_relabelled"] == 3 and report["images_dropped_empty"] == 2
    assert report["class_counts_before"] == {2: 4, 3: 2, 5: 1, 14: 3}
    assert report["class_counts_after"] == {2: 4, 3: 2, 5: 1, 14: 0}
    assert labels["f"] == [2, 14, 2]  # the input is not changed
    kept, report = remove_class(labels, PERSON, drop_empty=False)
    assert kept["a"] == [] and report["images_after"] == 8


def _imbalanced_labels(n: int = 300, seed: int = 0) -> dict[str, list[int]]:
    rng = np.random.default_rng(seed)
    freq = np.array([0.8, 0.5, 0.3, 0.1, 0.05, 0.03, 0.02, 0.01])
    return {f"img{i:04d}": [int(c) for c in np.flatnonzero(rng.random(len(freq)) < freq)] for i in range(n)}


def test_balancing_keeps_each_class_up_to_its_target_deterministically():
    labels = _imbalanced_labels()
    target = 12
    out, report = balance_by_downsampling(labels, target, seed=3)
    before, after = report["class_counts_before"], report["class_counts_after"]
    assert before == class_counts(labels) and after == {c: class_counts(out).get(c, 0) for c in before}
    assert report["images_before"] == len(labels) and report["images_after"] == len(out) < len(labels)
    for c, n in before.items():
        assert after[c] >= min(n, target), c
        if n <= target:
            assert after[c] == n  # a rare class keeps every image
    assert before[0] > 5 * target and after[0] < before[0]  # the frequent class is downsampled
    assert all(out[k] == sorted(set(labels[k])) for k in out) and all(labels[k] for k in out)
    again, _ = balance_by_downsampling(dict(reversed(list(labels.items()))), target, seed=3)
    assert set(again) == set(out)  # same seed, same images, whatever the mapping's order
    assert list(out) == [k for k in labels if k in out]  # input order
    assert any(set(balance_by_downsampling(labels, target, seed=s)[0]) != set(out) for s in (4, 5, 6))


def test_balancing_rule_on_a_hand_made_mapping():
    labels = {"x": [0], "y": [0], "z": [0], "w": [1], "v": []}
    out, report = balance_by_downsampling(labels, 2, seed=0)
    assert report["class_counts_after"] == {0: 2, 1: 1}
    assert "w" in out and "v" not in out  # an image with no class is needed by none
    with pytest.raises(WsisbenchError, match="positive number"):
        balance_by_downsampling(labels, 0)
    with pytest.raises(WsisbenchError, match="image 'bad'"):
        balance_by_downsampling({"bad": ["dog"]}, 2)


# ----------------------------------------------------------------------------------------------- IRNet


def test_heads_give_a_boundary_and_a_displacement_on_the_finest_grid():
    torch.manual_seed(0)
    heads = IRNetHeads(in_channels=(8, 16, 32), boundary_channels=8, displacement_channels=8, groups=4)
    features = [torch.randn(2, 8, 16, 16, requires_grad=True), torch.randn(2, 16, 8, 8), torch.randn(2, 32, 4, 4)]
    boundary, displacement = heads(features)
    assert boundary.shape == (2, 1, 16, 16) and displacement.shape == (2, 2, 16, 16)
    assert bool(((boundary > 0) & (boundary < 1)).all())
    (boundary.sum() + displacement.sum()).backward()
    assert features[0].grad is None  # the backbone's features are detached
    with pytest.raises(WsisbenchError, match="level 1"):
        heads([features[0], torch.randn(2, 8, 8, 8), features[2]])


def test_segments_and_affinity_labels():
    assert segment_points(0, 3) == [(0, 0), (0, 1), (0, 2), (0, 3)]
    for dy, dx in pair_offsets(5).tolist():
        pts = segment_points(dy, dx)
        assert pts[0] == (0, 0) and pts[-1] == (dy, dx)
        assert all(max(abs(a - c), abs(b - d)) == 1 for (a, b), (c, d) in zip(pts, pts[1:]))
    offsets = pair_offsets(2)
    assert offsets.tolist() == [[0, 1], [1, -1], [1, 0], [1, 1]]
    pos_fg, pos_bg, neg = affinity_labels(torch.tensor([[[1, 1, 0, 255, 0, 0]]]), offsets)
    assert pos_fg.shape == (1, 4, 1, 6)
    assert pos_fg[0, 0, 0].tolist() == [True, False, False, False, False, False]
    assert neg[0, 0, 0].tolist() == [False, True, False, False, False, False]
    assert pos_bg[0, 0, 0].tolist() == [False, False, False, False, True, False]
    assert not (pos_fg[0, 1:].any() or pos_bg[0, 1:].any() or neg[0, 1:].any())  # the other offsets leave the grid


def _two_instances(h: int = 12, w: int = 12) -> torch.Tensor:
    inst = torch.zeros(h, w, dtype=torch.long)
    inst[1:5, 1:5] = 1
    inst[6:11, 6:11] = 2
    return inst


def test_displacement_loss_is_zero_on_the_centroid_field():
    inst = _two_instances()
    offsets = pair_offsets(3)
    pos_fg, pos_bg, _ = affinity_labels(inst[None], offsets)  # instance ids as labels: same-instance pairs
    ys, xs = torch.meshgrid(torch.arange(12.0), torch.arange(12.0), indexing="ij")
    field = torch.zeros(1, 2, 12, 12)
    for k in (1, 2):
        m = inst == k
        field[0, 0][m] = ys[m].mean() - ys[m]
        field[0, 1][m] = xs[m].mean() - xs[m]
    assert pos_fg.any() and pos_bg.any()
    assert displacement_loss(field, pos_fg, pos_bg, offsets).item() == pytest.approx(0.0, abs=1e-6)
    noisy = field + 0.3 * torch.randn(field.shape, generator=torch.Generator().manual_seed(0)) * (inst > 0)
    assert displacement_loss(noisy, pos_fg, pos_bg, offsets).item() > 0.05
    shifted_background = field + (inst == 0).float()   # the same shift everywhere: no relative displacement
    assert displacement_loss(shifted_background, pos_fg, pos_bg, offsets).item() == pytest.approx(0.0, abs=1e-6)
    noisy_background = field + torch.randn(field.shape, generator=torch.Generator().manual_seed(1)) * (inst == 0)
    assert displacement_loss(noisy_background, pos_fg, pos_bg, offsets).item() > 0.1


def test_boundary_loss_prefers_the_true_class_edges():
    offsets = pair_offsets(3)
    label = torch.zeros(1, 8, 10, dtype=torch.long)
    label[:, :, :4] = 1
    label[:, :, 4] = 255  # an unknown band between the class and the background
    labels = affinity_labels(label, offsets)
    edge = torch.zeros(1, 1, 8, 10)
    edge[..., 4] = 1.0
    assert boundary_loss(edge, *labels, offsets).item() == pytest.approx(0.0, abs=1e-6)
    assert boundary_loss(torch.zeros_like(edge), *labels, offsets).item() > 5.0
    # two classes that touch: a soft boundary on the two edge columns beats no boundary
    label = torch.ones(1, 8, 10, dtype=torch.long)
    label[:, :, 5:] = 2
    labels = affinity_labels(label, offsets)
    soft = torch.zeros(1, 1, 8, 10)
    soft[..., 4:6] = 0.5
    assert boundary_loss(soft, *labels, offsets) < boundary_loss(torch.zeros_like(soft), *labels, offsets)


# ----------------------------------------------------------------------------------------------- random walk


def test_random_walk_keeps_mass_in_its_block_and_spreads_it_uniformly():
    # 2 x 4 grid = 8 nodes; each row is a ring of 4 with self-loops (every node has the same degree, so
    # the walk keeps each class's total mass); no edge between the rows
    affinity = torch.zeros(8, 8)
    for block in (range(0, 4), range(4, 8)):
        nodes = list(block)
        for i, node in enumerate(nodes):
            affinity[node, node] = 1.0
            affinity[node, nodes[(i + 1) % 4]] = affinity[nodes[(i + 1) % 4], node] = 0.9
    cams = torch.zeros(2, 2, 4)
    cams[0, 0, 0], cams[0, 1, 1] = 3.0, 1.0
    cams[1] = torch.rand(2, 4, generator=torch.Generator().manual_seed(0))
    out = random_walk(cams, affinity, beta=10.0, iterations=200)
    torch.testing.assert_close(out.sum(dim=(1, 2)), cams.sum(dim=(1, 2)))  # each class's total mass
    torch.testing.assert_close(out.sum(dim=2), cams.sum(dim=2))  # no mass crosses between the blocks
    torch.testing.assert_close(out, cams.sum(dim=2, keepdim=True).expand(-1, -1, 4) / 4)  # uniform in a block
    torch.testing.assert_close(random_walk(out, affinity, beta=10.0, iterations=1), out)  # a fixed point


def test_random_walk_averages_neighbours_and_keeps_the_degree_weighted_mass():
    # a path of 3 nodes with self-loops: degrees 2, 3, 2 (beta 1); one step averages each node's neighbours
    affinity = torch.tensor([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 1.0]])
    cams = torch.tensor([[[6.0, 0.0, 0.0]]])
    out = random_walk(cams, affinity, beta=1.0, iterations=1)
    torch.testing.assert_close(out, torch.tensor([[[3.0, 2.0, 0.0]]]))
    degree = affinity.sum(dim=0)
    for steps in (1, 5, 50):
        out = random_walk(cams, affinity, beta=1.0, iterations=steps)
        torch.testing.assert_close((out * degree).sum(), (cams * degree).sum())
        assert out.max() <= cams.max() and out.min() >= cams.min()  # a mean never leaves the range
    torch.testing.assert_close(out, torch.full((1, 1, 3), 12.0 / 7.0))  # the degree-weighted mean, 2 * 6 / 7


def test_random_walk_on_boundary_affinities_stops_at_the_wall():
    boundary = torch.zeros(6, 7)
    boundary[:, 3] = 1.0
    affinity = boundary_affinity(boundary, radius=3)
    assert (affinity != affinity.T).nnz == 0
    torch.testing.assert_close(torch.from_numpy(affinity.diagonal()), torch.ones(42, dtype=torch.float64))
    affinity = torch.from_numpy(affinity.toarray())
    left = torch.zeros(6, 7, dtype=torch.bool)
    left[:, :3] = True
    right = torch.zeros(6, 7, dtype=torch.bool)
    right[:, 4:] = True
    assert affinity[left.flatten()][:, (~left).flatten()].abs().max() == 0  # nothing crosses the wall
    cams = torch.rand(3, 6, 7, generator=torch.Generator().manual_seed(1))
    out = random_walk(cams, affinity, beta=10.0, iterations=300, boundary=boundary)
    kept = cams * (1.0 - boundary)
    degree = (affinity ** 10.0).sum(dim=0).reshape(6, 7).float()
    for side in (left, right):  # each side converges to its own degree-weighted mean
        mean = (kept[:, side] * degree[side]).sum(dim=1) / degree[side].sum()
        torch.testing.assert_close(out[:, side], mean[:, None].expand(-1, int(side.sum())))
    assert out[:, :, 3].abs().max() == 0
    torch.testing.assert_close(random_walk(out, affinity, beta=10.0, iterations=1), out)


def test_sparse_random_walk_equals_irnets_dense_matrix_power():
    gen = torch.Generator().manual_seed(2)
    boundary = torch.rand(9, 11, generator=gen) ** 3
    affinity = boundary_affinity(boundary, radius=4)
    cams = torch.rand(2, 9, 11, generator=gen)
    dense = torch.from_numpy(affinity.toarray()) ** 10.0
    trans = dense / dense.sum(dim=0, keepdim=True)  # IRNet: columns sum to 1, maps as rows: x @ T
    for _ in range(6):  # squared 6 times: 64 steps
        trans = trans @ trans
    expected = (cams.double() * (1.0 - boundary.double())).reshape(2, -1) @ trans
    out = random_walk(cams, affinity, beta=10.0, iterations=64, boundary=boundary)
    torch.testing.assert_close(out, expected.float().reshape(2, 9, 11))
    torch.testing.assert_close(random_walk(cams, torch.from_numpy(affinity.toarray()), iterations=64,
                                           boundary=boundary), out)  # a dense affinity gives the same walk


def test_random_walk_runs_on_a_paper_size_grid_in_little_memory():
    # 160 x 160 nodes (a 640 x 640 image at stride 4): a dense transition matrix would take 2.4 GiB
    affinity = boundary_affinity(torch.zeros(160, 160), radius=5)
    assert affinity.nnz < 80 * 160 * 160
    cams = torch.zeros(1, 160, 160)
    cams[0, 80, 80] = 1.0
    out = random_walk(cams, affinity, beta=10.0, iterations=4)
    torch.testing.assert_close(out.sum(), torch.tensor(1.0))
    assert 0 < out[0, 80, 80] < 1 and out[0, 80, 84] > 0 and out[0, 80, 100] == 0  # 4 steps of radius < 5


# ----------------------------------------------------------------------------------------------- TTA


def test_tta_of_an_identity_model_returns_its_input():
    gen = torch.Generator().manual_seed(0)
    ys, xs = torch.meshgrid(torch.arange(8.0), torch.arange(12.0), indexing="ij")
    coef = torch.randn(2, 3, 3, generator=gen)
    images = coef[..., 0, None, None] + coef[..., 1, None, None] * ys + coef[..., 2, None, None] * xs
    logits = tta_predict(lambda x: x, images, scales=(0.5, 1.0, 2.0), flip=True, mode="logits")
    torch.testing.assert_close(logits, images, atol=1e-5, rtol=1e-5)
    probs = tta_predict(lambda x: x, images, scales=(0.5, 1.0, 2.0), flip=True, mode="softmax")
    torch.testing.assert_close(probs, images.softmax(dim=1), atol=1e-5, rtol=1e-5)
    noise = torch.randn(2, 3, 8, 12, generator=gen)  # any input at scale 1, flipped and flipped back
    torch.testing.assert_close(tta_predict(lambda x: x, noise, scales=(1.0,), mode="logits"), noise)


def test_tta_brings_a_coarse_output_back_to_the_input_size():
    images = torch.zeros(1, 3, 16, 16)
    out = tta_predict(lambda x: torch.nn.functional.avg_pool2d(x, 4)[:, :2], images)
    assert out.shape == (1, 2, 16, 16)
    torch.testing.assert_close(out, torch.full_like(out, 0.5))
    with pytest.raises(WsisbenchError, match="mode"):
        tta_predict(lambda x: x, images, mode="mean")


# ---------------------------------------------------------------------------------------------- IRNet


def test_irnet_trains_its_branches_on_a_label_map_and_leaves_the_backbone_frozen():
    from mmengine.registry import init_default_scope
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample

    import wsisbench.methods.no_people_allowed  # noqa: F401  (registers IRNet and mmseg's models)
    from wsisbench.registry import MODELS

    init_default_scope("wsisbench")
    model = MODELS.build(dict(type="IRNet", radius=3.0,
                              backbone=dict(type="EfficientNetLite0Pyramid", out_indices=(0, 1, 2, 3), out_stride=16,
                                            pretrained=False),
                              data_preprocessor=dict(type="mmseg.SegDataPreProcessor", size=(64, 64))))
    model.train()
    assert not model.backbone.training                   # BatchNorm statistics stay
    label = torch.zeros(1, 64, 64, dtype=torch.long)
    label[0, 8:40, 8:40] = 3
    label[0, 44:60, 30:60] = 255                          # unknown: no pair touches it
    sample = SegDataSample(gt_sem_seg=PixelData(data=label))
    losses = model(torch.rand(2, 3, 64, 64), [sample, sample], mode="loss")
    assert set(losses) == {"loss_boundary", "loss_displacement"}
    assert all(torch.isfinite(v) and v > 0 for v in losses.values())
    sum(losses.values()).backward()
    assert all(p.grad is None for p in model.backbone.parameters())
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.heads.parameters())

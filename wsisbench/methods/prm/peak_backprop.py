"""Peak back-propagation: a probabilistic top-down pass from one class peak to a bottom layer.

PRM (Zhou et al., "Weakly Supervised Instance Segmentation using Class Peak Response", CVPR 2018,
arXiv:1804.00880, Sec. 3.3) models the top-down relevance of a location as the probability that a walker
starting at the peak visits it. For a convolution with input U and output V the transition is

    P(U_ij | V_pq) = Z_pq * Û_ij * W+_(i-p)(j-q),        P(U_ij) = sum_pq P(U_ij | V_pq) P(V_pq)

with Û the bottom-up activation, W+ = max(W, 0) and Z_pq the normaliser that makes the conditional sum to 1
(the rule of excitation backprop, Zhang et al., "Top-down Neural Attention by Excitation Backprop",
ECCV 2016, arXiv:1608.00507). Starting from probability 1 at the peak, the map reached at the bottom layer
is the peak response map (PRM): non-negative and summing to 1.

How the rule is applied to every operation of an arbitrary network (no per-architecture code): while the
forward pass of the batch runs inside :class:`ProbabilisticBackprop` (a ``TorchFunctionMode``), each
operation on the data path (tensors that require grad, i.e. everything computed from the bottom layer)
is recorded with a backward that moves *probability mass* instead of gradients:

- linear operations with non-negative coefficients -- conv2d / linear with W+ (bias dropped; grouped and
  depthwise convs, stride, dilation and padding are the convolution's own), padding, pooling (average and
  max: the winner takes the mass), bilinear / nearest resizing, sums, means, concatenation and residual
  additions: ``P(x) = phi(x) * J^T [P(y) / f(phi(x))]`` where ``f`` is the operation with W+ and without
  constant terms, ``phi(x)`` the non-negative bottom-up activation (``max(x, 0)``, or ``x - min(x)`` as
  the reference implementation shifts inputs). A residual addition ``y = a + b`` therefore splits
  ``P(y)`` in proportion to ``phi(a)`` and ``phi(b)``; an output with ``f(phi(x)) = 0`` passes no mass.
- element-wise activations and normalisation (ReLU, ReLU6, SiLU, sigmoid, batch norm, dropout): the
  neuron before and after them is one node, so ``P(x) = P(y)``.
- element-wise products of two data tensors (the attention gate ``(1 + M) * T`` of a Residual Attention
  module): ``y = a * b`` is homogeneous of degree 2, and by Euler's theorem ``phi(a) dy/da + phi(b) dy/db
  = 2 y``: each factor receives half of ``P(y)``, split over its elements by the same rule. A product with
  a constant (e.g. a detached mask, the "mask branch cut" variant) passes all of ``P(y)`` to the data factor.
- shape operations (view, reshape, indexing, ...) use autograd's own backward, which moves mass exactly;
  a tensor used twice receives the sum of the mass its consumers send back (the walker's total probability).

Any other operation on the data path raises :class:`~wsisbench.errors.WsisbenchError`, so an unsupported
layer never yields a silently wrong map. Mass is conserved up to outputs whose positive evidence is zero.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_flatten, tree_unflatten

from wsisbench.errors import WsisbenchError

#: ops that are one node with their input: probability passes unchanged
PASS_THROUGH = {"batch_norm", "relu", "relu_", "relu6", "hardtanh", "hardtanh_", "silu", "silu_", "sigmoid",
                "sigmoid_", "dropout", "dropout2d", "feature_dropout", "alpha_dropout", "gelu", "leaky_relu",
                "leaky_relu_", "elu", "elu_", "hardswish", "hardsigmoid", "instance_norm", "layer_norm",
                "group_norm", "identity"}
#: linear ops with non-negative coefficients (weights, if any, replaced by their positive part)
LINEAR = {"conv2d", "linear", "pad", "max_pool2d", "max_pool2d_with_indices", "avg_pool2d",
          "adaptive_avg_pool2d", "adaptive_max_pool2d", "interpolate", "upsample", "upsample_bilinear",
          "upsample_nearest", "mean", "sum", "cat", "concat", "stack"}
ADD = {"add", "add_", "__add__", "__radd__", "__iadd__"}
MUL = {"mul", "mul_", "__mul__", "__rmul__", "__imul__"}
#: shape and bookkeeping ops whose autograd backward moves mass exactly
STRUCTURAL = {"view", "reshape", "permute", "flatten", "squeeze", "unsqueeze", "__getitem__", "contiguous",
              "clone", "split", "chunk", "expand", "expand_as", "transpose", "float", "to", "type", "narrow",
              "unbind", "flip", "view_as", "reshape_as", "repeat", "t", "select", "detach", "detach_",
              "requires_grad_", "__get__", "__set__", "size", "dim", "numel", "__len__", "__format__",
              "__bool__", "__repr__", "__iter__", "__setitem__", "data_ptr", "is_contiguous", "stride",
              "element_size", "__hash__", "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "eq",
              "ne", "lt", "le", "gt", "ge", "any", "all", "isfinite", "isnan", "max", "min", "amax", "amin",
              "argmax", "argmin", "item", "tolist", "numpy", "cpu", "cuda", "new_zeros", "new_ones",
              "new_empty", "new_full", "zeros_like", "ones_like", "empty_like", "full_like"}
EPS = 1e-12


def _name(func) -> str:
    return getattr(func, "__name__", str(func))


def nonneg(x: torch.Tensor, mode: str) -> torch.Tensor:
    """The bottom-up activation as the rule sees it: ``max(x, 0)`` ('clamp') or ``x - min(x)`` ('shift')."""
    if mode == "shift":
        return x - x.detach().amin()
    return x.clamp(min=0)


def _is_data(v: Any) -> bool:
    return isinstance(v, torch.Tensor) and v.requires_grad


class _Spec:
    """One recorded operation: how to recompute it and how its positive (rule) version is formed."""

    def __init__(self, func: Callable, name: str, args: tuple, kwargs: dict, phi: str):
        self.func, self.name, self.phi = func, name, phi
        leaves, self.tree = tree_flatten((args, kwargs))
        self.leaves = leaves
        self.data_idx = [i for i, v in enumerate(leaves) if _is_data(v)]

    def call(self, data: Sequence[torch.Tensor], positive: bool) -> torch.Tensor:
        leaves = list(self.leaves)
        for i, d in zip(self.data_idx, data):
            leaves[i] = d
        args, kwargs = tree_unflatten(leaves, self.tree)
        kwargs = dict(kwargs)
        if "inplace" in kwargs:
            kwargs["inplace"] = False
        func = _plain(self.func, self.name)
        if not positive:
            return func(*args, **kwargs)
        if self.name in ("conv2d", "linear"):
            args = list(args)
            weight = args[1] if len(args) > 1 else kwargs.pop("weight")
            args = [args[0], F.relu(weight)] + [None] + list(args[3:])
            kwargs.pop("bias", None)
            return func(*args, **kwargs)
        if self.name == "pad":
            kwargs.pop("value", None)
            args = tuple(args[:3])  # input, pad, mode: zero padding (the pad value is a constant term)
            return func(*args, **kwargs)
        return func(*args, **kwargs)


def _plain(func: Callable, name: str) -> Callable:
    """The out-of-place version of an in-place tensor method."""
    if name.endswith("_") and not name.startswith("__"):
        return getattr(torch.Tensor, name[:-1])
    if name in ("__iadd__", "__imul__"):
        return getattr(torch.Tensor, name.replace("__i", "__"))
    return func


class _LinearRule(torch.autograd.Function):
    """Forward: the op itself. Backward: ``P(x_i) = phi(x_i) * J_i^T [P(y) / f+(phi(x))] / degree``."""

    @staticmethod
    def forward(ctx, spec: "_Spec", mode: str, degree: int, *data):
        ctx.spec, ctx.mode, ctx.degree = spec, mode, degree
        ctx.save_for_backward(*data)
        return spec.call(data, positive=False) if mode != "add_mul" else _combine(spec, data, positive=False)

    @staticmethod
    def backward(ctx, p_out):
        spec = ctx.spec
        with torch.enable_grad():
            xs = [nonneg(x.detach(), spec.phi).requires_grad_() for x in ctx.saved_tensors]
            z = spec.call(xs, positive=True) if ctx.mode != "add_mul" else _combine(spec, xs, positive=True)
            s = torch.where(z > EPS, p_out / z.clamp(min=EPS), torch.zeros_like(p_out))
            grads = torch.autograd.grad(z, xs, s, allow_unused=True)
        out = [None if g is None else (x.detach() * g) / ctx.degree for x, g in zip(xs, grads)]
        return (None, None, None, *out)


def _combine(spec: _Spec, data: Sequence[torch.Tensor], positive: bool) -> torch.Tensor:
    """``add`` / ``mul`` with the data tensors substituted; the positive version drops additive constants
    and takes multiplicative constants by absolute value."""
    leaves = list(spec.leaves)
    for i, d in zip(spec.data_idx, data):
        leaves[i] = d
    args, kwargs = tree_unflatten(leaves, spec.tree)
    operands = [args[0], args[1] if len(args) > 1 else kwargs.get("other")]
    alpha = kwargs.get("alpha", 1)
    is_data = [i in spec.data_idx for i in (0, 1)]
    if spec.name in ADD:
        if not positive:
            return operands[0] + alpha * operands[1]
        if alpha != 1 and is_data[1]:
            raise WsisbenchError("peak back-propagation: add with alpha != 1 on the data path")
        terms = [v for v, d in zip(operands, is_data) if d]
        return terms[0] if len(terms) == 1 else terms[0] + terms[1]
    if not positive:
        return operands[0] * operands[1]
    prod = operands[0] if is_data[0] else operands[1]
    other, other_is_data = (operands[1], is_data[1]) if is_data[0] else (operands[0], is_data[0])
    if other_is_data:
        return prod * other
    return prod * (other.abs() if isinstance(other, torch.Tensor) else abs(other))


class _PassThrough(torch.autograd.Function):
    """Forward: the element-wise op. Backward: the probability of the output, unchanged."""

    @staticmethod
    def forward(ctx, spec: "_Spec", x):
        return spec.call([x], positive=False)

    @staticmethod
    def backward(ctx, p_out):
        return None, p_out


class ProbabilisticBackprop(TorchFunctionMode):
    """Record the data path of a forward pass with the probabilistic backward rules (module docstring).

    Args:
        phi: 'clamp' (``max(x, 0)``) or 'shift' (``x - min(x)``): the non-negative bottom-up activation.
    """

    def __init__(self, phi: str = "clamp"):
        super().__init__()
        if phi not in ("clamp", "shift"):
            raise WsisbenchError(f"peak_backprop.phi must be 'clamp' or 'shift', got {phi!r}")
        self.phi = phi

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = _name(func)
        leaves, _ = tree_flatten((args, kwargs))
        if name in STRUCTURAL or not any(_is_data(v) for v in leaves):
            return func(*args, **kwargs)
        spec = _Spec(func, name, args, kwargs, self.phi)
        if name in PASS_THROUGH:
            if spec.data_idx != [0]:
                raise WsisbenchError(f"peak back-propagation: {name} on the data path must take it as input")
            return _PassThrough.apply(spec, spec.leaves[0])
        data = [spec.leaves[i] for i in spec.data_idx]
        if name in ADD:
            return _LinearRule.apply(spec, "add_mul", 1, *data)
        if name in MUL:
            return _LinearRule.apply(spec, "add_mul", len(data), *data)
        if name in LINEAR:
            if name in ("conv2d", "linear") and spec.data_idx != [0]:
                raise WsisbenchError(f"peak back-propagation: {name} weights must not be on the data path "
                                     f"(freeze the parameters)")
            return _LinearRule.apply(spec, "linear", 1, *data)
        raise WsisbenchError(f"peak back-propagation has no probabilistic rule for {name!r} on the data path; "
                             f"add one to wsisbench/methods/prm/peak_backprop.py")


@contextmanager
def frozen(module: torch.nn.Module) -> Iterator[None]:
    """Parameters do not require grad inside (only the data path carries probability)."""
    flags = [(p, p.requires_grad) for p in module.parameters()]
    for p, _ in flags:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)


def _module(root: torch.nn.Module, path: str) -> torch.nn.Module:
    try:
        return root.get_submodule(path)
    except AttributeError:
        raise WsisbenchError(f"peak_backprop.bottom: the model has no submodule {path!r}") from None


def bottom_probabilities(net: torch.nn.Module, crm_fn: Callable[[torch.Tensor], torch.Tensor],
                         inputs: torch.Tensor, peaks: torch.Tensor, bottom: str | None = None,
                         phi: str = "clamp", upsample: int = 1) -> torch.Tensor:
    """The probability mass each peak sends to every unit of the bottom layer: [N, C, hb, wb] (not
    normalised; sums to at most 1 per peak). One batched pass: the image is repeated, one peak per element.

    Args: as :func:`peak_response_maps`.
    """
    b = int(peaks.shape[0])
    captured: dict[str, torch.Tensor] = {}
    batch = inputs.expand(b, *inputs.shape[1:]).contiguous()
    handle = None
    if bottom:
        def pre_hook(module, args):
            x = args[0].detach().requires_grad_()
            captured["x"] = x
            return (x, *args[1:])
        handle = _module(net, bottom).register_forward_pre_hook(pre_hook)
    else:
        batch = batch.detach().requires_grad_()
        captured["x"] = batch
    try:
        with frozen(net), torch.enable_grad(), ProbabilisticBackprop(phi):
            crms = crm_fn(batch)
    finally:
        if handle is not None:
            handle.remove()
    if "x" not in captured:
        raise WsisbenchError(f"peak_backprop.bottom {bottom!r} is never called in the forward pass")
    seed = upsampled_seed(crms, peaks, upsample)
    (p,) = torch.autograd.grad(crms, captured["x"], seed, allow_unused=True)
    return torch.zeros_like(captured["x"]) if p is None else p.detach()


def upsampled_seed(crms: torch.Tensor, peaks: torch.Tensor, upsample: int) -> torch.Tensor:
    """The starting probability on the CRM grid [b, K, h, w] of peaks found on CRMs bilinearly upsampled by
    ``upsample`` (align_corners=True): the interpolation weights of each peak (non-negative, summing to 1),
    so the walker's first step does not depend on the sign of the CRM values around the peak."""
    b, k, h, w = crms.shape
    idx = torch.arange(b, device=crms.device)
    if upsample <= 1:
        seed = torch.zeros_like(crms)
        seed[idx, peaks[:, 0], peaks[:, 1], peaks[:, 2]] = 1.0
        return seed
    with torch.enable_grad():
        z = torch.zeros_like(crms, requires_grad=True)
        up = F.interpolate(z, scale_factor=upsample, mode="bilinear", align_corners=True)
        one_hot = torch.zeros_like(up)
        one_hot[idx, peaks[:, 0], peaks[:, 1], peaks[:, 2]] = 1.0
        (seed,) = torch.autograd.grad(up, z, one_hot)
    return seed.detach()


def peak_response_maps(net: torch.nn.Module, crm_fn: Callable[[torch.Tensor], torch.Tensor], inputs: torch.Tensor,
                       peaks: torch.Tensor, bottom: str | None = None, phi: str = "clamp",
                       chunk: int = 16, upsample: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """PRMs of ``peaks``: one probability map per peak at the bottom layer.

    Args:
        net: the module that owns ``bottom`` (its parameters are frozen during the pass).
        crm_fn: ``inputs [B, 3, H, W] -> class response maps [B, K, h, w]`` (a method of ``net``).
        inputs: one preprocessed image [1, 3, H, W].
        peaks: int64 [N, 3] rows (class k, y, x) on the ``h x w`` CRM grid, or on the grid upsampled by
            ``upsample`` (sub-pixel peaks; see :func:`upsampled_seed`).
        bottom: a submodule path of ``net`` whose *input* is the bottom layer (e.g. the first block after the
            stem) and which nothing else reads (mass sent along a path that bypasses it is not counted);
            None: the image itself (with ``phi`` applied to it as to any other input).
        phi: the non-negative activation of the rule, 'clamp' or 'shift'.
        chunk: peaks per batched pass.

    Returns:
        prms: float32 [N, hb, wb], the mass per location (channels summed), each non-negative and summing
        to 1 (a zero map if no mass arrived);
        kept: float32 [N], the share of the peak's probability that reached the bottom layer (1 unless some
        output had no positive evidence; the map is then the distribution conditioned on arriving).
    """
    n = int(peaks.shape[0])
    if n == 0:
        return inputs.new_zeros((0, 1, 1)), inputs.new_zeros(0)
    outs, kept = [], []
    for start in range(0, n, chunk):
        p = bottom_probabilities(net, crm_fn, inputs, peaks[start:start + chunk], bottom, phi, upsample)
        p = p.clamp(min=0).sum(1)  # [b, hb, wb]
        total = p.flatten(1).sum(1)
        kept.append(total)
        outs.append(torch.where(total[:, None, None] > 0, p / total.clamp(min=EPS)[:, None, None], p))
    return torch.cat(outs).float(), torch.cat(kept).float()

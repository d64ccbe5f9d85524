"""Loading a user-supplied ImageNet checkpoint into a backbone (paper presets start from ImageNet weights).

Accepted files: a plain state dict, or a dict holding one under ``state_dict`` or ``model`` (mmengine and
many training scripts). Keys are matched after stripping ``module.`` and an optional ``strip_prefix``
(e.g. ``backbone.``); keys of the checkpoint that the module lacks (a classifier's ``fc``) are skipped,
module keys that the checkpoint lacks keep their initialisation (e.g. DeepLab's new ``fc6``/``fc7``).
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from wsisbench.errors import WsisbenchError


def check_checkpoint_path(path: str | Path | None, what: str, option: str) -> Path | None:
    """``path`` as a Path when it names an existing file; None stays None; otherwise a WsisbenchError.

    ``what`` says which network needs it and ``option`` which config key supplies it (for the message).
    """
    if path is None:
        return None
    p = Path(str(path)).expanduser()
    if not p.is_file():
        raise WsisbenchError(
            f"{what}: ImageNet checkpoint {p} does not exist. Download the ImageNet weights yourself "
            f"(e.g. torchvision's state dict) and pass the file with --cfg-options {option}=/path/to/file.pth")
    return p


def load_imagenet_checkpoint(module: nn.Module, path: str | Path, what: str, option: str,
                             strip_prefix: str = "") -> dict:
    """Copy matching tensors of checkpoint ``path`` into ``module``; returns counts of loaded/skipped keys.

    Raises WsisbenchError when the file is missing or unreadable, or when no tensor matches (a checkpoint of
    another architecture).
    """
    p = check_checkpoint_path(path, what, option)
    try:
        state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many kinds for corrupt files / pickles
        raise WsisbenchError(f"{what}: cannot read checkpoint {p} ({type(e).__name__}: {e})") from e
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict):
        raise WsisbenchError(f"{what}: checkpoint {p} holds no state dict")
    own = module.state_dict()
    matched, shape_mismatch = {}, []
    for key, value in state.items():
        name = key[len("module."):] if key.startswith("module.") else key
        if strip_prefix and name.startswith(strip_prefix):
            name = name[len(strip_prefix):]
        if name in own and isinstance(value, torch.Tensor):
            if own[name].shape == value.shape:
                matched[name] = value
            else:
                shape_mismatch.append(name)
    if not matched:
        raise WsisbenchError(f"{what}: no tensor of checkpoint {p} matches the network's parameters "
                             f"(first keys: {', '.join(list(state)[:5])}); is it the right architecture?")
    module.load_state_dict(matched, strict=False)
    return {"loaded": len(matched), "missing": len(own) - len(matched), "shape_mismatch": shape_mismatch,
            "unused": len(state) - len(matched) - len(shape_mismatch)}

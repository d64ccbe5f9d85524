"""What a preset needs from the user before it can run (paper presets: ImageNet checkpoints, saliency maps).

Checked when the first stage starts, so that a paper run fails in seconds with a message that says which
``--cfg-options`` key to set, instead of after hours of training.
"""
from __future__ import annotations

from pathlib import Path

from mmengine.config import Config

from wsisbench.errors import WsisbenchError
from wsisbench.models.segmentors import check_checkpoint_path

BACKGROUND_RULES = ("score", "saliency", "both")


def check_saliency(cfg: Config) -> Path | None:
    """The saliency folder when the background rule uses saliency (else None); raises when it is missing."""
    loc = cfg.localization
    rule = loc.get("background", "score")
    if rule not in BACKGROUND_RULES:
        raise WsisbenchError(f"localization.background must be one of {', '.join(BACKGROUND_RULES)}, got {rule!r}")
    if rule == "score":
        return None
    folder = loc.get("saliency_dir")
    if not folder:
        raise WsisbenchError(
            f"preset {cfg.get('preset', '?')!r} takes background seeds from saliency maps (DSRG uses DRFI), "
            f"which wsisbench does not compute: pass --cfg-options localization.saliency_dir=DIR with one "
            f"grey PNG <image id>.png per training image (0 = background, 255 = salient)")
    path = Path(str(folder)).expanduser()
    if not path.is_dir():
        raise WsisbenchError(f"localization.saliency_dir {path} is not a directory")
    if loc.get("saliency_threshold") is None:
        raise WsisbenchError("localization.saliency_threshold must be set with localization.saliency_dir")
    return path


def check_checkpoints(cfg: Config) -> None:
    """With ``require_imagenet_checkpoints``, both networks need an existing ``pretrained`` file."""
    for key in ("classifier", "segmenter"):
        path = cfg[key].get("pretrained")
        if path is None and cfg.get("require_imagenet_checkpoints", False) and not (
                key == "classifier" and cfg.classifier_train.get("weights")):
            raise WsisbenchError(
                f"preset {cfg.get('preset', '?')!r} starts the {key} from ImageNet weights, and wsisbench "
                f"downloads none: pass --cfg-options {key}.pretrained=/path/to/imagenet_checkpoint.pth "
                f"({'VGG-16' if 'VGG' in str(cfg[key].get('backbone', {}).get('type', '')) else 'the backbone'}"
                f", a torchvision-format state dict)")
        check_checkpoint_path(path, f"{key} backbone", f"{key}.pretrained")


def check_requirements(cfg: Config) -> None:
    """All user-supplied inputs of the preset (raises WsisbenchError naming the missing one)."""
    check_checkpoints(cfg)
    check_saliency(cfg)

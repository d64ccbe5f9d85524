"""Finding and loading a method's configs: ``configs/<method>/<preset>.py`` (in any project root).

Every method has an ``embedded.py`` preset (the generated benchmark, CPU, minutes) that
``wsisbench run --method NAME`` uses by default, and paper presets for the real datasets.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from mmengine.config import Config, DictAction  # noqa: F401  (DictAction re-exported for the CLI)

from wsisbench.errors import UnknownNameError, WsisbenchError
from wsisbench.projects import configs_dirs

DEFAULT_PRESET = "embedded"


def registered_methods() -> list[str]:
    """The method names in the registry (every method folder of every project root is imported)."""
    from wsisbench.registry import METHODS

    METHODS.import_from_location()
    return sorted(METHODS.module_dict)


def configs_dir(method: str) -> Path | None:
    """``configs/<method>`` in the first project root that has it (see :mod:`wsisbench.projects`)."""
    for root in configs_dirs():
        if (root / method).is_dir():
            return root / method
    return None


def list_methods() -> list[str]:
    """Registered methods that have presets."""
    return [m for m in registered_methods() if configs_dir(m) is not None]


def list_presets(method: str) -> list[str]:
    if method not in list_methods():
        raise UnknownNameError("method", method, list_methods())
    return sorted(p.stem for p in configs_dir(method).glob("*.py") if not p.stem.startswith("_"))


def preset_path(method: str, preset: str | None) -> Path:
    presets = list_presets(method)
    preset = preset or DEFAULT_PRESET
    if preset not in presets:
        raise UnknownNameError(f"preset of {method}", preset, presets)
    return configs_dir(method) / f"{preset}.py"


def _key_exists(cfg: Config, dotted: str) -> tuple[bool, str, list[str]]:
    """Whether ``a.b.c`` names an existing key; else the deepest existing prefix and its keys."""
    node, prefix = cfg.to_dict(), []
    for part in dotted.split("."):
        if isinstance(node, dict) and part in node:
            node, prefix = node[part], prefix + [part]
        elif isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
            node, prefix = node[int(part)], prefix + [part]
        else:
            keys = sorted(node.keys()) if isinstance(node, dict) else []
            return False, ".".join(prefix), keys
    return True, "", []


def apply_options(cfg: Config, options: dict | None, allow_new: Iterable[str] = ()) -> Config:
    """Merge ``--cfg-options`` into ``cfg``; an unknown key is an error that names it and its siblings."""
    if not options:
        return cfg
    for key in options:
        ok, prefix, siblings = _key_exists(cfg, key)
        if not ok and not any(key.startswith(a) for a in allow_new):
            where = f"under {prefix!r}" if prefix else "at the top level"
            raise WsisbenchError(f"unknown config key {key!r} in --cfg-options; keys {where}: "
                                 f"{', '.join(siblings) or '(none)'}")
    cfg.merge_from_dict(options)
    return cfg


def load_config(method: str | None = None, preset: str | None = None, config_path: str | None = None,
                options: dict | None = None, data_root: str | None = None) -> Config:
    """The config of a run: a preset by name, or a file; then ``--cfg-options`` and ``--data-root``."""
    import wsisbench.methods  # noqa: F401  (registers every method; puts extra project roots on the path)

    if config_path:
        path = Path(config_path)
        if not path.is_file():
            raise WsisbenchError(f"config file {path} does not exist")
    elif method:
        path = preset_path(method, preset)
    else:
        raise WsisbenchError("give --method NAME or --config PATH")
    try:
        cfg = Config.fromfile(str(path))
    except Exception as e:  # mmengine raises plain exceptions for syntax errors and bad _base_
        raise WsisbenchError(f"{path}: cannot load config: {e}") from e
    if "method" not in cfg:
        raise WsisbenchError(f"{path}: config has no 'method' key")
    if method and cfg.method != method:
        raise WsisbenchError(f"{path} is a config of method {cfg.method!r}, not {method!r}")
    cfg.setdefault("preset", path.stem)
    apply_options(cfg, options)
    if data_root is not None:
        cfg.benchmark["data_root"] = str(data_root)
    return cfg

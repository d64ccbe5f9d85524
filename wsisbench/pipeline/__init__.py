"""The run pipeline: methods as sequences of resumable stages with manifests (see runner.py)."""
from .context import RunContext
from .method import Method
from .runner import config_hash, run_method
from .stage import Stage

__all__ = ["Method", "RunContext", "Stage", "config_hash", "run_method"]

"""A method: the sequence of stages that turns a benchmark into predictions and scores."""
from __future__ import annotations

from mmengine.config import Config

from .stage import Stage


class Method:
    """Base class of every method pipeline (register subclasses in ``wsisbench.registry.METHODS``).

    Subclasses implement :meth:`build_stages`. The last stages usually write predictions in one of the two
    standard forms (COCO results json or PNG label maps) and score them with :mod:`wsisbench.evaluation`;
    their summaries carry ``{'evaluations': {...}}`` which becomes result.json.
    """

    #: short description shown by ``wsisbench list``
    summary: str = ""

    def __init__(self, cfg: Config):
        self.cfg = cfg

    def build_stages(self) -> list[Stage]:
        raise NotImplementedError

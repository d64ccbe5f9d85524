"""A leading share of a training split, minus a held-out tail (the report trained on the first 20 % of VOC
2012 and held part of it out for validation)."""
from __future__ import annotations

from torch.utils.data import Dataset

from wsisbench.errors import WsisbenchError
from wsisbench.registry import DATASETS


@DATASETS.register_module()
class PRMSubsetDataset(Dataset):
    """The first ``round(fraction * N)`` samples of ``dataset`` (its sorted id order), of which the last
    ``round(held_out * n)`` are held out (not trained on).

    Args:
        dataset: config of the full dataset.
        fraction: share of the split used, in (0, 1].
        held_out: share of that subset held out, in [0, 1).
    """

    def __init__(self, dataset: dict, fraction: float = 1.0, held_out: float = 0.0):
        if not 0.0 < fraction <= 1.0 or not 0.0 <= held_out < 1.0:
            raise WsisbenchError(f"PRMSubsetDataset: need 0 < fraction <= 1 and 0 <= held_out < 1, "
                                 f"got {fraction}, {held_out}")
        self.dataset = DATASETS.build(dataset)
        n = round(fraction * len(self.dataset))
        self.indices = list(range(n - round(held_out * n)))
        self.held_out_indices = list(range(len(self.indices), n))
        self.metainfo = getattr(self.dataset, "metainfo", {})

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, idx: int):
        return self.dataset[self.indices[idx]]

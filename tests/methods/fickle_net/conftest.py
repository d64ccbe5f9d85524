"""FickleNet/DSRG tests: single-threaded, deterministic seeds."""
import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture
def gen() -> torch.Generator:
    return torch.Generator().manual_seed(0)

"""The weight transfer function T of Mask^X R-CNN: w_seg = T(w_det; theta), a small class-agnostic MLP."""
from __future__ import annotations

import torch
from torch import nn

from wsisbench.errors import WsisbenchError

ACTIVATIONS = ("none", "relu", "leaky_relu")


class WeightTransferFunction(nn.Module):
    """Map class embeddings [K, in_dim] to mask weights [K, out_dim], the same function for every class.

    Args:
        in_dim: size of a class's embedding (e.g. 1024 + 4 * 1024 for 'cls+box' with a 1024-d box head).
        out_dim: size of a class's mask weights (the mask head's feature channels, 256 in the paper).
        num_layers: fully connected layers (1 = an affine map, 'none' activation).
        hidden_dim: width of the hidden layers.
        activation: 'relu' | 'leaky_relu' | 'none' between layers (never after the last one).
        negative_slope: slope of LeakyReLU.
    """

    def __init__(self, in_dim: int, out_dim: int, num_layers: int = 2, hidden_dim: int = 1024,
                 activation: str = "leaky_relu", negative_slope: float = 0.1):
        super().__init__()
        if num_layers < 1:
            raise WsisbenchError(f"weight transfer: num_layers must be >= 1, got {num_layers}")
        if activation not in ACTIVATIONS:
            raise WsisbenchError(f"weight transfer: activation {activation!r}; valid: {', '.join(ACTIVATIONS)}")
        if num_layers > 1 and activation == "none":
            raise WsisbenchError("weight transfer: a multi-layer T needs an activation ('relu' or 'leaky_relu')")
        dims = [in_dim] + [hidden_dim] * (num_layers - 1) + [out_dim]
        layers: list[nn.Module] = []
        for i in range(num_layers):
            layers.append(nn.Linear(dims[i], dims[i + 1]))
            if i < num_layers - 1:
                layers.append(nn.ReLU() if activation == "relu" else nn.LeakyReLU(negative_slope))
        self.mlp = nn.Sequential(*layers)
        self.in_dim, self.out_dim = in_dim, out_dim
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for m in self.mlp:
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=(1.0 / m.in_features) ** 0.5)
                nn.init.zeros_(m.bias)

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        """[K, in_dim] -> [K, out_dim]."""
        if embeddings.dim() != 2 or embeddings.shape[1] != self.in_dim:
            raise WsisbenchError(f"weight transfer expects [K, {self.in_dim}] embeddings, got "
                                 f"{tuple(embeddings.shape)}")
        return self.mlp(embeddings)

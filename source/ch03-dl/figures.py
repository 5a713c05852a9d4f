"""Figures of chapter 3 (deep-learning foundations)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F


def activation_curves():
    """Common activation functions (left) and their derivatives (right)."""
    x = torch.linspace(-4, 4, 401, requires_grad=True)
    fns = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "ReLU": torch.relu,
        "GELU": F.gelu,
    }
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(7, 3))
    for name, fn in fns.items():
        y = fn(x)
        (g,) = torch.autograd.grad(y.sum(), x)
        ax1.plot(x.detach().numpy(), y.detach().numpy(), label=name)
        ax2.plot(x.detach().numpy(), g.numpy(), label=name)
    ax1.set_title("f(x)")
    ax2.set_title("f'(x)")
    for ax in (ax1, ax2):
        ax.axhline(0, color="gray", lw=0.5)
        ax.axvline(0, color="gray", lw=0.5)
        ax.set_xlabel("x")
    ax1.set_ylim(-1.5, 4)
    ax2.set_ylim(-0.2, 1.2)
    ax1.legend(fontsize=8)
    fig.tight_layout()
    return fig

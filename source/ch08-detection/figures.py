"""Figures for chapter 8 (object detection)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def focal_loss_curves():
    """Focal loss -(1 - p_t)^gamma log(p_t) against p_t for several gamma (gamma = 0 is cross-entropy)."""
    p = np.linspace(0.01, 1.0, 300)
    fig, ax = plt.subplots(figsize=(5, 3))
    for gamma in (0, 0.5, 1, 2, 5):
        ax.plot(p, (1 - p) ** gamma * -np.log(p), label=f"gamma = {gamma}")
    ax.set_xlabel("p_t (probability of the ground-truth class)")
    ax.set_ylabel("loss")
    ax.set_ylim(0, 5)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig

"""Figures for chapter 10 (reinforcement learning)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def discount_weights():
    k = np.arange(0, 301)
    fig, ax = plt.subplots(figsize=(5, 3))
    for gamma in (0.9, 0.99, 0.999):
        ax.plot(k, gamma ** k, label=f"gamma = {gamma}, 1/(1-gamma) = {1 / (1 - gamma):.0f}")
    ax.axhline(np.exp(-1), color="gray", lw=0.8, ls="--")
    ax.set_xlabel("steps into the future k")
    ax.set_ylabel("weight gamma^k")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig

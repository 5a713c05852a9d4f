"""Figures for chapter 7 (generative adversarial networks)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def js_vs_wasserstein():
    """W1 and JS divergence between the segments (0, Z) and (theta, Z) as functions of theta."""
    theta = np.linspace(-1.0, 1.0, 401)
    w1 = np.abs(theta)
    js = np.where(np.isclose(theta, 0.0), 0.0, np.log(2.0))
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(theta, w1, label="Wasserstein-1 = |theta|")
    ax.plot(theta[theta < 0], js[theta < 0], color="C1", label="JS divergence")
    ax.plot(theta[theta > 0], js[theta > 0], color="C1")
    ax.plot([0], [0], "o", color="C1")
    ax.plot([0], [np.log(2.0)], "o", color="C1", markerfacecolor="white")
    ax.set_xlabel("theta")
    ax.set_ylabel("distance")
    ax.legend(loc="upper center", fontsize=8)
    fig.tight_layout()
    return fig

"""Figures of chapter 1 (mathematical foundations)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np


def gauss_vs_laplace():
    """Densities of a Laplace(0, 1) and a Gaussian with the same variance 2."""
    x = np.linspace(-6, 6, 601)
    laplace = 0.5 * np.exp(-np.abs(x))
    sigma = np.sqrt(2.0)
    gauss = np.exp(-x ** 2 / (2 * sigma ** 2)) / np.sqrt(2 * np.pi * sigma ** 2)
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(x, laplace, label="Laplace(0, 1)")
    ax.plot(x, gauss, label="Normal(0, 2)")
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig

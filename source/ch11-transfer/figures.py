"""Figures for chapter 11 (transfer learning)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def dann_lambda():
    p = np.linspace(0, 1, 201)
    lam = 2 / (1 + np.exp(-10 * p)) - 1
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(p, lam)
    ax.set_xlabel("training progress p")
    ax.set_ylabel("lambda_p = 2 / (1 + exp(-10 p)) - 1")
    ax.set_ylim(0, 1.05)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig

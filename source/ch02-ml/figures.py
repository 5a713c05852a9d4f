"""Figures of chapter 2 (machine-learning foundations)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np


def roc_example():
    """ROC curve of the eight-sample worked example (AUC = 0.6875)."""
    y = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    s = np.array([0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.3, 0.2])
    y = y[np.argsort(-s)]
    tpr = np.concatenate([[0], np.cumsum(y) / y.sum()])
    fpr = np.concatenate([[0], np.cumsum(1 - y) / (1 - y).sum()])
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.plot(fpr, tpr, marker="o", label="model (AUC = 0.6875)")
    ax.fill_between(fpr, tpr, alpha=0.15)
    ax.plot([0, 1], [0, 1], ls="--", color="gray", label="random (AUC = 0.5)")
    ax.set_xlabel("False positive rate")
    ax.set_ylabel("True positive rate")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig

"""Figures for chapter 14 (hyperparameter tuning)."""

import itertools

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def grid_vs_random():
    """9 grid trials vs 9 random trials when only the horizontal hyperparameter matters."""
    rng = np.random.default_rng(3)
    grid = np.array(list(itertools.product([1 / 6, 1 / 2, 5 / 6], repeat=2)))
    rand = rng.uniform(size=(9, 2))
    important = lambda x: np.exp(-((x - 0.62) ** 2) / 0.004)  # noqa: E731
    unimportant = lambda y: 0.3 + 0.05 * np.sin(6 * y)  # noqa: E731
    t = np.linspace(0, 1, 300)
    fig, axes = plt.subplots(1, 2, figsize=(6, 3))
    for ax, pts, name in [(axes[0], grid, "grid layout"), (axes[1], rand, "random layout")]:
        ax.scatter(pts[:, 0], pts[:, 1], s=18, color="C0", zorder=3)
        ax.plot(t, 1.02 + 0.25 * important(t), color="C1", clip_on=False)
        ax.plot(1.02 + 0.25 * unimportant(t), t, color="C2", clip_on=False)
        for x in pts[:, 0]:
            ax.plot([x, x], [1.0, 1.02 + 0.25 * important(x)], color="C0", lw=0.6, clip_on=False)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("important hyperparameter")
        ax.set_title(name, fontsize=9, y=-0.38)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0].set_ylabel("unimportant hyperparameter")
    fig.subplots_adjust(top=0.75, bottom=0.2, wspace=0.35, right=0.92)
    return fig

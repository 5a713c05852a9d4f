"""Figures for chapter 13 (optimization algorithms)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _path(lr, beta, steps=30, start=(-9.0, 1.5), curv=(1.0, 25.0)):
    a = np.array(curv)
    w = np.array(start)
    v = np.zeros(2)
    pts = [w.copy()]
    for _ in range(steps):
        g = a * w
        v = beta * v + g
        w = w - lr * v
        pts.append(w.copy())
    return np.array(pts)


def momentum_trajectories():
    """SGD vs heavy-ball momentum on f(w) = 0.5 (w1^2 + 25 w2^2)."""
    fig, ax = plt.subplots(figsize=(5, 3))
    x = np.linspace(-10, 2, 200)
    y = np.linspace(-2, 2, 200)
    X, Y = np.meshgrid(x, y)
    ax.contour(X, Y, 0.5 * (X ** 2 + 25 * Y ** 2), levels=12, colors="0.8", linewidths=0.7)
    sgd = _path(lr=0.07, beta=0.0)
    mom = _path(lr=0.02, beta=0.8)
    ax.plot(sgd[:, 0], sgd[:, 1], "o-", ms=3, lw=1, label="SGD (lr=0.07)")
    ax.plot(mom[:, 0], mom[:, 1], "s-", ms=3, lw=1, label="momentum (lr=0.02, beta=0.8)")
    ax.plot(0, 0, "k*", ms=10)
    ax.set_xlabel("w1")
    ax.set_ylabel("w2")
    ax.legend(loc="upper right", fontsize=7)
    ax.set_title("first 30 steps", fontsize=9)
    fig.tight_layout()
    return fig

"""Figures for chapter 12 (building and training networks)."""
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def warmup_cosine():
    total, warmup, base = 1000, 50, 1e-3
    steps = list(range(total))
    lrs = [base * (s + 1) / warmup if s < warmup
           else 0.5 * base * (1 + math.cos(math.pi * (s - warmup) / (total - warmup))) for s in steps]
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(steps, lrs)
    ax.axvline(warmup, color="gray", lw=0.8, ls="--")
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.set_title("linear warm-up (50 steps) + cosine decay", fontsize=9)
    fig.tight_layout()
    return fig

"""Figures for chapter 9 (image segmentation)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def dilated_kernel_grids():
    """Input positions sampled by a 3x3 kernel at dilation rates 1, 2 and 3 on a 9x9 grid."""
    fig, axes = plt.subplots(1, 3, figsize=(6, 2.3))
    for ax, d in zip(axes, (1, 2, 3)):
        grid = np.zeros((9, 9))
        for i in (-1, 0, 1):
            for j in (-1, 0, 1):
                grid[4 + i * d, 4 + j * d] = 1.0
        k = 2 * d + 1
        lo = 4 - d
        grid[lo:lo + k, lo:lo + k] += 0.25
        ax.imshow(grid, cmap="Blues", vmin=0, vmax=1.3)
        ax.set_xticks(np.arange(-0.5, 9, 1), minor=True)
        ax.set_yticks(np.arange(-0.5, 9, 1), minor=True)
        ax.grid(which="minor", color="gray", linewidth=0.5)
        ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
        ax.set_title(f"d = {d}: covers {k}x{k}", fontsize=9)
    fig.tight_layout()
    return fig

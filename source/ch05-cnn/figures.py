"""Figures of chapter 5 (convolutional neural networks)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _overlap_1d(k, s, n_in=8):
    """How many input 'stamps' cover each output position of a 1-D transposed convolution."""
    out = np.zeros((n_in - 1) * s + k)
    for i in range(n_in):
        out[i * s:i * s + k] += 1
    return out


def checkerboard_overlap():
    fig, axes = plt.subplots(1, 2, figsize=(5, 2.6))
    for ax, (k, s) in zip(axes, [(3, 2), (4, 2)]):
        o = _overlap_1d(k, s)
        img = np.outer(o, o)[k:-k, k:-k]
        ax.imshow(img, cmap="gray", vmin=0, vmax=img.max())
        ax.set_title(f"kernel {k}, stride {s}\nmax/min = {img.max() / img.min():.0f}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig

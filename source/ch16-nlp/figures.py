"""Figures for chapter 16 (NLP)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def positional_encoding():
    """Sinusoidal positional encoding (Vaswani et al., 2017) for 64 positions and d_model = 128."""
    n, d = 64, 128
    pos = np.arange(n)[:, None]
    i = np.arange(0, d, 2)[None, :]
    angle = pos / np.power(10000.0, i / d)
    pe = np.zeros((n, d))
    pe[:, 0::2] = np.sin(angle)
    pe[:, 1::2] = np.cos(angle)
    fig, ax = plt.subplots(figsize=(5, 3))
    im = ax.imshow(pe, aspect="auto", cmap="RdBu", vmin=-1, vmax=1)
    ax.set_xlabel("embedding dimension")
    ax.set_ylabel("position")
    fig.colorbar(im, ax=ax)
    fig.tight_layout()
    return fig


def attention_flops_length():
    """FLOPs of one self-attention layer (d = 768) split into projections (8nd^2) and n^2 terms (4n^2 d)."""
    d = 768
    n = np.array([128, 256, 512, 1024, 2048, 4096, 8192])
    proj = 8 * n * d * d / 1e9
    quad = 4 * n * n * d / 1e9
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.loglog(n, proj, "o-", label="Q/K/V/O projections: 8nd^2")
    ax.loglog(n, quad, "s-", label="QK^T and AV: 4n^2 d")
    ax.set_xlabel("sequence length n")
    ax.set_ylabel("GFLOPs per layer")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    return fig

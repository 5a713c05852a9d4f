"""Figures for chapter 15 (heterogeneous computing and GPUs)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

PEAK = 312e12   # A100 SXM4 80GB, BF16 Tensor Core, dense (NVIDIA datasheet)
BW = 2.039e12   # A100 SXM4 80GB, HBM2e bytes/s


def roofline_a100():
    fig, ax = plt.subplots(figsize=(5, 3))
    i = np.logspace(-2, 4, 200)
    ax.loglog(i, np.minimum(PEAK, i * BW) / 1e12, "k-", lw=1.5)
    ridge = PEAK / BW
    ax.axvline(ridge, color="0.6", ls="--", lw=0.8)
    ax.text(ridge * 1.15, 0.05, f"ridge ~{ridge:.0f}", fontsize=7)
    ops = [("a+b fp32", 1 / 12), ("matvec bf16", 1.0), ("4096^3 GEMM", 4096 / 3)]
    for name, x in ops:
        y = min(PEAK, x * BW) / 1e12
        ax.plot(x, y, "o", ms=5)
        ax.annotate(name, (x, y), textcoords="offset points", xytext=(4, -12), fontsize=7)
    ax.set_xlabel("arithmetic intensity (FLOPs/byte)")
    ax.set_ylabel("attainable TFLOPS")
    ax.set_ylim(0.02, 1000)
    fig.tight_layout()
    return fig

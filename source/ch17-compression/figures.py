"""Figures for chapter 17 (model compression)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def int8_quantization_error():
    """Affine uint8 quantization of [-1, 3] (scale 4/255, zero point 64): the staircase and its error."""
    lo, hi = -1.0, 3.0
    scale = (hi - lo) / 255
    zp = int(round(-lo / scale))
    x = np.linspace(-1.0, 3.0, 4001)
    xq = (np.clip(np.round(x / scale) + zp, 0, 255) - zp) * scale
    fig, (a, b) = plt.subplots(1, 2, figsize=(6, 2.8))
    m = (x > 0.9) & (x < 1.0)
    a.plot(x[m], x[m], "--", label="x")
    a.step(x[m], xq[m], where="mid", label="dequant(quant(x))")
    a.set_xlabel("x (zoom on [0.9, 1.0])")
    a.legend(fontsize=7)
    m2 = (x >= 0.0) & (x <= 0.1)
    b.plot(x[m2], xq[m2] - x[m2], lw=0.8)
    b.axhline(scale / 2, color="r", ls="--", lw=0.8)
    b.axhline(-scale / 2, color="r", ls="--", lw=0.8)
    b.set_xlabel("x (zoom on [0, 0.1])")
    b.set_ylabel("error (bounds: +/- scale/2)")
    fig.tight_layout()
    return fig

"""Figures for chapter 18 (back-end architecture)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def batching_tradeoff():
    """Batch latency 5 ms + 0.5 ms per request: throughput and batch latency against batch size."""
    b = np.array([1, 2, 4, 8, 16, 32, 64])
    latency = 5.0 + 0.5 * b
    throughput = b / (latency / 1000)
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(b, throughput, "o-", color="C0")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("batch size")
    ax.set_ylabel("throughput (req/s)", color="C0")
    ax2 = ax.twinx()
    ax2.plot(b, latency, "s--", color="C1")
    ax2.set_ylabel("batch latency (ms)", color="C1")
    fig.tight_layout()
    return fig

"""Figures of chapter 4 (classic networks)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Parameter counts (millions) as computed by checks/classic_nets.py; year of first publication.
_NETS = [
    ("AlexNet", 2012, 61.10),
    ("VGG-16", 2014, 138.36),
    ("GoogLeNet", 2014, 7.00),
    ("ResNet-50", 2015, 25.56),
    ("DenseNet-121", 2016, 7.98),
    ("ResNeXt-50", 2016, 25.03),
]


def classic_params():
    fig, ax = plt.subplots(figsize=(5, 3))
    names = [f"{n}\n({y})" for n, y, _ in _NETS]
    vals = [p for _, _, p in _NETS]
    bars = ax.bar(names, vals, color="#4C72B0")
    for b, v in zip(bars, vals):
        ax.text(b.get_x() + b.get_width() / 2, v + 2, f"{v:.1f}", ha="center", fontsize=7)
    ax.set_ylabel("parameters (millions)")
    ax.set_title("ImageNet classifiers: parameters", fontsize=9)
    ax.tick_params(axis="x", labelsize=7)
    ax.set_ylim(0, 155)
    fig.tight_layout()
    return fig

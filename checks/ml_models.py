"""Checks for classic machine-learning models: PCA, trees, SVM, geometry of high dimensions (chapter 2)."""

import math

import numpy as np
import torch


def _pca_data():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((200, 3)) * np.array([3.0, 1.0, 0.3])
    rot = np.linalg.qr(rng.standard_normal((3, 3)))[0]
    return z @ rot.T


def pca_explained_ratio(device):
    """Explained-variance ratios of the three principal components of a seeded 3-D cloud."""
    x = _pca_data()
    x = x - x.mean(axis=0)
    s = np.linalg.svd(x, compute_uv=False)
    return tuple((s ** 2 / (s ** 2).sum()).round(4))


def _entropy(counts):
    p = np.array(counts, dtype=float)
    p = p[p > 0] / p.sum()
    return float(-(p * np.log2(p)).sum())


def tree_entropy_root(device):
    return _entropy([9, 5])


def tree_gini_root(device):
    p = np.array([9, 5]) / 14
    return float(1 - (p ** 2).sum())


def tree_info_gain(device):
    """Splitting 9 yes / 5 no into (6 yes, 2 no) and (3 yes, 3 no)."""
    return _entropy([9, 5]) - (8 / 14 * _entropy([6, 2]) + 6 / 14 * _entropy([3, 3]))


def svm_margin(device):
    w = torch.tensor([3.0, 4.0])
    return (2 / w.norm()).item()


def poly_kernel_match(device):
    """(x.z)^2 and <phi(x), phi(z)> with phi(x) = (x1^2, sqrt2 x1 x2, x2^2) for x = (1, 2), z = (3, 4)."""
    x, z = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    phi = lambda v: np.array([v[0] ** 2, math.sqrt(2) * v[0] * v[1], v[1] ** 2])
    return (float(x @ z) ** 2, round(float(phi(x) @ phi(z)), 9))


def _cube_edge_for_fraction(d):
    """Edge of a sub-cube that holds 10% of the volume of the unit cube in d dimensions."""
    return 0.1 ** (1 / d)


def edge_10d(device):
    return _cube_edge_for_fraction(10)


def edge_100d(device):
    return _cube_edge_for_fraction(100)


def bootstrap_unique_fraction(device):
    """Expected fraction of distinct samples in a bootstrap sample of n = 1000, simulated."""
    rng = np.random.default_rng(0)
    n = 1000
    fr = [len(np.unique(rng.integers(0, n, n))) / n for _ in range(200)]
    return float(np.mean(fr))



def gd_lr_limit(device):
    """2 / lambda_max for f(x) = 2 x^2."""
    h = torch.autograd.functional.hessian(lambda v: 2 * v ** 2, torch.tensor([1.0]))
    return 2 / h.item()

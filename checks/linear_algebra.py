"""Checks for linear algebra and calculus (chapter 1)."""

import numpy as np
import torch


def _norm_vec():
    return np.array([3.0, -4.0, 0.0, 12.0])


def vec_l0(device):
    return int(np.count_nonzero(_norm_vec()))


def vec_l1(device):
    return float(np.linalg.norm(_norm_vec(), 1))


def vec_l2(device):
    return float(np.linalg.norm(_norm_vec(), 2))


def vec_linf(device):
    return float(np.linalg.norm(_norm_vec(), np.inf))


def _a22():
    return np.array([[1.0, 2.0], [3.0, 4.0]])


def mat_fro(device):
    return float(np.linalg.norm(_a22(), "fro"))


def mat_spectral(device):
    return float(np.linalg.norm(_a22(), 2))


def mat_nuclear(device):
    return float(np.linalg.norm(_a22(), "nuc"))


def pd_eigenvalues(device):
    """Eigenvalues of [[2,-1],[-1,2]], ascending."""
    return tuple(np.linalg.eigvalsh(np.array([[2.0, -1.0], [-1.0, 2.0]])).round(12))


def eig_example(device):
    """Eigenvalues of [[4,1],[2,3]], descending."""
    w = np.linalg.eigvals(np.array([[4.0, 1.0], [2.0, 3.0]])).real
    return tuple(sorted(w.round(12), reverse=True))


def _svd_matrix():
    return np.array([[3.0, 2.0, 2.0], [2.0, 3.0, -2.0]])


def svd_singular_values(device):
    return tuple(np.linalg.svd(_svd_matrix(), compute_uv=False).round(12))


def svd_rank1_error(device):
    """Frobenius error of the best rank-1 approximation (Eckart-Young: the dropped singular value)."""
    m = _svd_matrix()
    u, s, vt = np.linalg.svd(m)
    approx = s[0] * np.outer(u[:, 0], vt[0])
    return float(np.linalg.norm(m - approx, "fro"))


def image_batch_numel(device):
    with torch.device("meta"):
        x = torch.empty(32, 3, 224, 224)
    return x.numel()


def image_batch_mb(device):
    with torch.device("meta"):
        x = torch.empty(32, 3, 224, 224, dtype=torch.float32)
    return x.numel() * x.element_size() / 1e6


def matmul_flops(device):
    """Multiply-adds of a (64x128)@(128x256) product, counted as 2 FLOPs each."""
    m, n, p = 64, 128, 256
    a = np.ones((m, n))
    b = np.ones((n, p))
    macs = int((a @ b).sum())  # each entry of the product sums n ones: total m*p*n multiply-adds
    return 2 * macs


def _f(x):
    return np.sin(x) * np.exp(x)


def _fprime(x):
    return np.exp(x) * (np.sin(x) + np.cos(x))


def fd_forward_error(device):
    h, x = 1e-4, 1.0
    return abs((_f(x + h) - _f(x)) / h - _fprime(x))


def fd_central_error(device):
    h, x = 1e-4, 1.0
    return abs((_f(x + h) - _f(x - h)) / (2 * h) - _fprime(x))


def hessian_eigs(device):
    """Eigenvalues of the Hessian of f(x, y) = x^2 - y^2 + x*y at the origin (a saddle)."""
    x = torch.zeros(2, dtype=torch.float64)
    h = torch.autograd.functional.hessian(lambda v: v[0] ** 2 - v[1] ** 2 + v[0] * v[1], x)
    return tuple(torch.linalg.eigvalsh(h).numpy().round(4))


def chain_rule_grad(device):
    """d/dx of y = sin(x^2) at x = 1.5 by autograd: 2x cos(x^2)."""
    x = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    torch.sin(x ** 2).backward()
    return x.grad.item()

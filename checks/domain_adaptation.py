"""Checks for transfer learning and domain adaptation (chapter 11)."""

import math

import numpy as np
import torch
from torch import nn


def _gaussian_kernel(a, b, sigma):
    d2 = (a[:, None, :] - b[None, :, :]) ** 2
    return np.exp(-d2.sum(-1) / (2 * sigma ** 2))


def _mmd2_biased(x, y, sigma):
    return float(_gaussian_kernel(x, x, sigma).mean() + _gaussian_kernel(y, y, sigma).mean()
                 - 2 * _gaussian_kernel(x, y, sigma).mean())


def mmd2_example(device):
    """Biased MMD^2 between X = {0, 1, 2} and Y = {1, 2, 3} with a Gaussian kernel, sigma = 1."""
    x = np.array([[0.0], [1.0], [2.0]])
    y = np.array([[1.0], [2.0], [3.0]])
    return _mmd2_biased(x, y, 1.0)


def mmd2_same(device):
    """MMD^2 of a sample with itself is exactly 0."""
    x = np.array([[0.0], [1.0], [2.0]])
    return _mmd2_biased(x, x, 1.0)


class _GradReverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, lam):
        ctx.lam = lam
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return -ctx.lam * g, None


def grl_grad(device):
    """Gradient reaching x through a GRL with lambda = 0.5 when the loss is sum(2 * GRL(x))."""
    x = torch.ones(3, device=device, requires_grad=True)
    (2 * _GradReverse.apply(x, 0.5)).sum().backward()
    return tuple(x.grad.cpu().tolist())


def _dann_lambda(p):
    return 2.0 / (1.0 + math.exp(-10.0 * p)) - 1.0


def dann_lambda_half(device):
    return _dann_lambda(0.5)


def dann_lambda_tenth(device):
    return _dann_lambda(0.1)


class _LoRALinear(nn.Module):
    def __init__(self, d_in, d_out, r):
        super().__init__()
        self.base = nn.Linear(d_in, d_out, bias=False)
        self.base.weight.requires_grad_(False)
        self.A = nn.Parameter(torch.empty(r, d_in))
        self.B = nn.Parameter(torch.zeros(d_out, r))


def lora_trainable_params(device):
    """Trainable parameters of rank-8 LoRA on a 4096x4096 projection."""
    with torch.device("meta"):
        m = _LoRALinear(4096, 4096, 8)
    return sum(p.numel() for p in m.parameters() if p.requires_grad)


def lora_fraction(device):
    with torch.device("meta"):
        m = _LoRALinear(4096, 4096, 8)
    train = sum(p.numel() for p in m.parameters() if p.requires_grad)
    total = sum(p.numel() for p in m.base.parameters())
    return train / total


def linear_head_params(device):
    """A new 10-class head on ResNet-50's 2048-d pooled features."""
    with torch.device("meta"):
        head = nn.Linear(2048, 10)
    return sum(p.numel() for p in head.parameters())


def llrd_embedding_factor(device):
    """Layer-wise lr decay 0.9 over a 12-layer encoder: factor for the embeddings (12 layers below the top)."""
    factors = [0.9 ** (12 - layer) for layer in range(13)]   # layer 0 = embeddings, 12 = top block
    return factors[0]


def importance_weight_at_2(device):
    """Covariate shift: source N(0,1), target N(1,1); weight p_t(x)/p_s(x) at x = 2."""
    x = 2.0
    pdf = lambda v, mu: math.exp(-(v - mu) ** 2 / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    return pdf(x, 1.0) / pdf(x, 0.0)


def pcgrad_projection(device):
    """PCGrad: g1 = (1, 0) conflicts with g2 = (-1, 1); project g1 onto the normal plane of g2."""
    g1 = np.array([1.0, 0.0])
    g2 = np.array([-1.0, 1.0])
    if g1 @ g2 < 0:
        g1 = g1 - (g1 @ g2) / (g2 @ g2) * g2
    return tuple(float(v) for v in g1)


def pcgrad_cosine(device):
    g1 = np.array([1.0, 0.0])
    g2 = np.array([-1.0, 1.0])
    return float(g1 @ g2 / np.linalg.norm(g1) / np.linalg.norm(g2))


def coral_loss_example(device):
    """CORAL loss ||C_s - C_t||_F^2 / (4 d^2) for two 2-d samples."""
    xs = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    xt = np.array([[0.0, 0.0], [1.0, -1.0], [2.0, -2.0], [3.0, -3.0]])
    cs, ct = np.cov(xs, rowvar=False), np.cov(xt, rowvar=False)
    d = xs.shape[1]
    return float(((cs - ct) ** 2).sum() / (4 * d * d))

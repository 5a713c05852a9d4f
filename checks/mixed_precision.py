"""Checks for floating-point formats and mixed-precision training (chapter 12)."""

import torch

from checks import on


def fp16_max(device):
    return torch.finfo(torch.float16).max


def fp16_eps(device):
    return torch.finfo(torch.float16).eps


def bf16_eps(device):
    return torch.finfo(torch.bfloat16).eps


def bf16_max(device):
    return torch.finfo(torch.bfloat16).max


def fp32_eps(device):
    return torch.finfo(torch.float32).eps


def fp16_smallest_normal(device):
    return torch.finfo(torch.float16).smallest_normal


def fp16_smallest_subnormal(device):
    """The smallest positive fp16 number: halve 1.0 until it underflows."""
    x = torch.tensor(1.0, dtype=torch.float16, device=device)
    while (x / 2).item() > 0:
        x = x / 2
    return x.item()



def small_grad_fp16(device):
    """A gradient of 1e-8 cast to fp16 underflows to 0 ..."""
    return torch.tensor(1e-8, device=device).half().item()


def small_grad_scaled_fp16(device):
    """... but scaled by 2^16 = 65536 first it survives (about 6.55e-4)."""
    return torch.tensor(1e-8 * 65536, device=device).half().item()


def _matmul_rel_error(dtype, device, m=256, k=1024, n=256):
    g = torch.Generator().manual_seed(0)
    a = torch.randn(m, k, dtype=torch.float64, generator=g)
    b = torch.randn(k, n, dtype=torch.float64, generator=g)
    ref = a @ b
    out = (a.to(device, dtype) @ b.to(device, dtype)).double().cpu()
    return ((out - ref).norm() / ref.norm()).item()


@on("cuda")
def bf16_matmul_rel_error(device):
    """Relative Frobenius error of a bf16 (256x1024)@(1024x256) matmul on the GPU against fp64."""
    return _matmul_rel_error(torch.bfloat16, device)


@on("cuda")
def _fp16_matmul_rel_error(device):
    return _matmul_rel_error(torch.float16, device)


def bf16_rounding_model_rel_error(device):
    """The same quantity predicted by a rounding model: round inputs to bf16, multiply exactly, round the output."""
    g = torch.Generator().manual_seed(0)
    a = torch.randn(256, 1024, dtype=torch.float64, generator=g)
    b = torch.randn(1024, 256, dtype=torch.float64, generator=g)
    ref = a @ b
    out = (a.bfloat16().double() @ b.bfloat16().double()).bfloat16().double()
    return ((out - ref).norm() / ref.norm()).item()

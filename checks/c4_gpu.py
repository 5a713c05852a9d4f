"""Checks for chapter 15 added in the second edition: fp8 ranges, FlashAttention traffic, roofline, all-reduce cost."""

import torch


def fp8_e4m3_max(device):
    return torch.finfo(torch.float8_e4m3fn).max


def fp8_e5m2_max(device):
    return torch.finfo(torch.float8_e5m2).max


def fp8_e4m3_e5m2_max(device):
    return (fp8_e4m3_max(device), fp8_e5m2_max(device))


def fp8_e4m3_e5m2_min_normal(device):
    return (torch.finfo(torch.float8_e4m3fn).smallest_normal, torch.finfo(torch.float8_e5m2).smallest_normal)


def fp8_e4m3_e5m2_eps(device):
    return (torch.finfo(torch.float8_e4m3fn).eps, torch.finfo(torch.float8_e5m2).eps)


def attention_matrix_mib_4096_bf16(device):
    """One head's N x N score matrix at N = 4096 in bf16, in MiB."""
    n = 4096
    return n * n * torch.finfo(torch.bfloat16).bits // 8 / 2**20


def attention_matrix_gib_4096_32heads(device):
    """The same for 32 heads of one layer at batch 1, in GiB."""
    return 32 * attention_matrix_mib_4096_bf16(device) / 1024


def flash_softmax_stats_kib_4096(device):
    """FlashAttention keeps one fp32 logsumexp per query row for the backward pass: N x 4 bytes, in KiB."""
    return 4096 * 4 / 1024


# NVIDIA H100 SXM datasheet, dense (no sparsity) Tensor Core peaks in TFLOPS
_H100_SXM_BF16_TFLOPS = 989.4
_H100_SXM_FP8_TFLOPS = 1978.9


def h100_fp8_over_bf16(device):
    return _H100_SXM_FP8_TFLOPS / _H100_SXM_BF16_TFLOPS

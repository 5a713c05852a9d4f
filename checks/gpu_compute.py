"""Checks for GPUs, roofline arithmetic and distributed training (chapter 15).

Vendor figures used as assumptions (dense, no sparsity), from NVIDIA's datasheets:
  A100 SXM4 80GB: 312 TFLOPS BF16/FP16 Tensor Core, 19.5 TFLOPS FP32, 2,039 GB/s HBM2e.
  H100 SXM5:      989 TFLOPS BF16/FP16 Tensor Core (1,979 with sparsity), 3.35 TB/s HBM3.
"""

import math

import numpy as np
import torch

from checks import on

A100_BF16_FLOPS = 312e12
A100_FP32_FLOPS = 19.5e12
A100_BW = 2.039e12
H100_BF16_FLOPS = 989e12
H100_BW = 3.35e12
A100_TF32_FLOPS = 156e12


def _bytes(dtype):
    return torch.tensor([], dtype=dtype).element_size()


def fp32_bytes(device):
    return _bytes(torch.float32)


def bf16_bytes(device):
    return _bytes(torch.bfloat16)


def _matmul_intensity(m, n, k, dtype):
    """FLOPs / bytes for C = A @ B, A: m x k, B: k x n, reading A and B once and writing C once."""
    flops = 2 * m * n * k
    nbytes = _bytes(dtype) * (m * k + k * n + m * n)
    return flops / nbytes


def matmul_intensity_4096_bf16(device):
    """4096 x 4096 x 4096 in bf16: 2*4096^3 / (2 * 3 * 4096^2) = 4096/3."""
    return _matmul_intensity(4096, 4096, 4096, torch.bfloat16)


def matvec_intensity_4096_bf16(device):
    """Batch-1 matrix-vector product (m=1) with a 4096 x 4096 bf16 weight: about 1 FLOP/byte."""
    return _matmul_intensity(1, 4096, 4096, torch.bfloat16)


def matmul_flops_4096(device):
    return 2 * 4096 ** 3


def elementwise_add_intensity_fp32(device):
    """c = a + b in fp32: 1 FLOP per 12 bytes moved."""
    n = 1 << 20
    return n / (3 * n * _bytes(torch.float32))


def ridge_a100_bf16(device):
    """Roofline ridge point of an A100 SXM4 80GB for BF16 Tensor Core work."""
    return A100_BF16_FLOPS / A100_BW


def ridge_a100_fp32(device):
    return A100_FP32_FLOPS / A100_BW


def a100_bf16_tc_over_fp32(device):
    """A100: dense BF16 Tensor Core peak over FP32 CUDA-core peak, 312 / 19.5."""
    return A100_BF16_FLOPS / A100_FP32_FLOPS


def a100_tf32_tc_over_fp32(device):
    """A100: dense TF32 Tensor Core peak over FP32 CUDA-core peak, 156 / 19.5."""
    return A100_TF32_FLOPS / A100_FP32_FLOPS


def ridge_h100_bf16(device):
    return H100_BF16_FLOPS / H100_BW


def attainable_matvec_a100_tflops(device):
    """Roofline: min(peak, intensity * bandwidth) for the batch-1 matvec on an A100, in TFLOPS."""
    i = matvec_intensity_4096_bf16(device)
    return min(A100_BF16_FLOPS, i * A100_BW) / 1e12


def model_weights_7b_bf16_gb(device):
    """7e9 parameters in bf16, in GB (1e9 bytes)."""
    return 7e9 * _bytes(torch.bfloat16) / 1e9


def adam_mixed_precision_bytes_per_param(device):
    """bf16 weights + bf16 grads + fp32 master weights + fp32 Adam m and v (Rajbhandari et al., 2020)."""
    return 2 * _bytes(torch.bfloat16) + 3 * _bytes(torch.float32)


def adam_training_7b_gb(device):
    return 7e9 * adam_mixed_precision_bytes_per_param(device) / 1e9


def zero3_7_5b_64gpus_gb(device):
    """ZeRO-3: model states of a 7.5B model partitioned over 64 GPUs, in GB."""
    return 7.5e9 * adam_mixed_precision_bytes_per_param(device) / 64 / 1e9


def _ring_allreduce(n_workers, n_elems, seed=0):
    """Simulate ring all-reduce (reduce-scatter + all-gather); return (result ok, elements sent per worker)."""
    rng = np.random.default_rng(seed)
    data = [rng.standard_normal(n_elems) for _ in range(n_workers)]
    expected = np.sum(data, axis=0)
    chunks = [np.array_split(d.copy(), n_workers) for d in data]
    sent = [0] * n_workers
    for step in range(n_workers - 1):  # reduce-scatter
        msgs = []
        for r in range(n_workers):
            c = (r - step) % n_workers
            msgs.append(((r + 1) % n_workers, c, chunks[r][c].copy()))
            sent[r] += chunks[r][c].size
        for dst, c, payload in msgs:
            chunks[dst][c] += payload
    for step in range(n_workers - 1):  # all-gather
        msgs = []
        for r in range(n_workers):
            c = (r + 1 - step) % n_workers
            msgs.append(((r + 1) % n_workers, c, chunks[r][c].copy()))
            sent[r] += chunks[r][c].size
        for dst, c, payload in msgs:
            chunks[dst][c] = payload
    ok = all(np.allclose(np.concatenate(ch), expected) for ch in chunks)
    return ok, sent


def ring_allreduce_factor_8(device):
    """Elements sent per worker / data size for N = 8 workers: 2(N-1)/N = 1.75."""
    n_elems = 8 * 1000
    ok, sent = _ring_allreduce(8, n_elems)
    assert ok
    return max(sent) / n_elems


def ring_allreduce_factor_64(device):
    n_elems = 64 * 100
    ok, sent = _ring_allreduce(64, n_elems)
    assert ok
    return max(sent) / n_elems


def ring_allreduce_7b_bf16_gb(device):
    """Bytes each GPU sends to all-reduce bf16 gradients of a 7B model over 8 GPUs, in GB."""
    return ring_allreduce_factor_8(device) * model_weights_7b_bf16_gb(device)


def pipeline_bubble_4_16(device):
    """GPipe bubble fraction (p-1)/(m+p-1) for p = 4 stages and m = 16 micro-batches."""
    p, m = 4, 16
    return (p - 1) / (m + p - 1)


def pipeline_bubble_4_4(device):
    p, m = 4, 4
    return (p - 1) / (m + p - 1)


@on("cuda")
def tf32_matmul_correct_digits(device):
    """-log10 of the relative (Frobenius) error of a 1024 x 1024 x 1024 float32 matmul with TF32 enabled,
    measured against float64 on CUDA.

    Design: TF32 keeps 10 explicit mantissa bits, so each input is rounded with relative error up to
    2^-11 (round to nearest) or 2^-10 (truncation; the hardware behaviour is not documented in detail).
    For random normal inputs, K = 1024, the Frobenius relative error is then about 3e-4 (rounding) to
    8e-4 (truncation), i.e. 3.5 to 3.1 correct decimal digits (simulated on the CPU by masking the low
    13 mantissa bits). The claim "3.3 with atol=0.5" states that the error lies between about 1.6e-4 and
    1.6e-3: it fails for plain FP32 (about 6.5 digits), for bf16 inputs (about 2.6 digits) and for an
    error of 0 (infinite digits), yet holds whichever rounding mode a given GPU generation uses.
    """
    g = torch.Generator().manual_seed(0)
    a = torch.randn(1024, 1024, generator=g, dtype=torch.float64)
    b = torch.randn(1024, 1024, generator=g, dtype=torch.float64)
    ref = a @ b
    old = torch.backends.cuda.matmul.allow_tf32
    try:
        torch.backends.cuda.matmul.allow_tf32 = True
        c = (a.float().to(device) @ b.float().to(device)).double().cpu()
    finally:
        torch.backends.cuda.matmul.allow_tf32 = old
    rel = ((c - ref).norm() / ref.norm()).item()
    return -math.log10(rel)

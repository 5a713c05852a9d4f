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


# ---- LLM decoding on the roofline ------------------------------------------------------------------------

_H100_SXM_HBM_TBPS = 3.35


def decode_intensity_batch(device):
    """FLOPs per byte of weights read when decoding a batch of B tokens with bf16 weights: 2 B / 2 = B."""
    return tuple(2 * b / 2 for b in (1, 64))


def decode_tokens_per_s_7b_h100(device):
    """Upper bound for batch-1 decoding of a 7B bf16 model on an H100 SXM: bandwidth / bytes of weights."""
    return _H100_SXM_HBM_TBPS * 1e12 / (7e9 * 2)



def kv_cache_gb_llama2_7b_4k(device):
    """KV cache of a Llama-2-7B-shaped model (32 layers, 4096 hidden, no GQA), 4096 tokens, bf16, in GB."""
    layers, hidden, tokens = 32, 4096, 4096
    return 2 * layers * hidden * tokens * 2 / 1e9


# ---- all-reduce time -------------------------------------------------------------------------------------

def _allreduce_seconds(n, bytes_, bus_gbps, alpha_us=0.0, steps_factor=2):
    """Ring all-reduce: 2 (n - 1) steps of bytes / n each over links of bus_gbps GB/s, plus per-step latency."""
    return 2 * (n - 1) / n * bytes_ / (bus_gbps * 1e9) + 2 * (n - 1) * alpha_us * 1e-6


def allreduce_7b_bf16_grads_nvlink_ms(device):
    """14 GB of bf16 gradients, 8 GPUs, 450 GB/s per direction per GPU (H100 NVLink), in ms."""
    return _allreduce_seconds(8, 7e9 * 2, 450) * 1e3


def allreduce_7b_bf16_grads_ib_ms(device):
    """The same over 8 nodes with one 400 Gb/s InfiniBand link (50 GB/s) each, in ms."""
    return _allreduce_seconds(8, 7e9 * 2, 50) * 1e3


def allreduce_small_message_latency_us(device):
    """A 1 MB all-reduce across 64 GPUs at 50 GB/s with 5 us per step: (bandwidth term, latency term) in us."""
    n, b = 64, 1e6
    bw = 2 * (n - 1) / n * b / 50e9 * 1e6
    lat = 2 * (n - 1) * 5
    return (bw, lat)


# ---- answers that had nothing to check --------------------------------------------------------------------

def pcie_x16_gbps(device):
    """Per-direction bandwidth of PCIe 4.0 and 5.0 x16 (16 and 32 GT/s per lane, 128b/130b encoding), GB/s."""
    return tuple(gts * 16 * 128 / 130 / 8 for gts in (16, 32))


def h100_nvlink_over_pcie5(device):
    """H100 NVLink total (900 GB/s, both directions) over PCIe 5.0 x16 in both directions."""
    return 900 / (2 * pcie_x16_gbps(device)[1])


def infiniband_400g_gbytes(device):
    return 400 / 8


def imagenet_batch_mb_fp32(device):
    """One batch of 256 fp32 images of 3 x 224 x 224, in MB: compare Docker's default 64 MB /dev/shm."""
    return 256 * 3 * 224 * 224 * 4 / 1e6


def mfu_7b_h100(device):
    """MFU = 6 N (tokens/s) / peak for a 7B model at 9,400 tokens/s per H100 SXM (989 TFLOPS bf16 dense)."""
    return 6 * 7e9 * 9400 / (_H100_SXM_BF16_TFLOPS * 1e12)


# ---- kernel launch overhead --------------------------------------------------------------------------------

def decode_launch_overhead_ms(device):
    """32 layers x 15 kernels per layer, 5 us of CPU launch cost each: milliseconds per decode step."""
    return 32 * 15 * 5e-6 * 1e3


def decode_memory_time_ms_7b_h100(device):
    """Reading 14 GB of bf16 weights at 3.35 TB/s: milliseconds per decode step at batch 1."""
    return 7e9 * 2 / (_H100_SXM_HBM_TBPS * 1e12) * 1e3

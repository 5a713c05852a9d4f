"""Checks for the LLM-serving questions of chapter 18: prefill and decode bounds, KV-cache capacity, paged
allocation, TTFT/TPOT, prefix caching, tensor-parallel serving, speculative decoding acceptance."""

import math

from checks.c5_llm import LLAMA2_7B, LLAMA2_70B, _build, _count, _kv_bytes, lora_llama2_7b_r16_qkvo

# H100 SXM (NVIDIA data sheet): 3.35 TB/s HBM3, 989 TFLOPS dense BF16, 80 GB.
H100_BW = 3.35e12
H100_FLOPS = 989e12
H100_MEM = 80e9


def _weight_bytes(cfg, bytes_per=2):
    return _count(_build(cfg)) * bytes_per


def decode_step_ms_7b(device):
    """Lower bound of one decode step at batch 1: read every fp16 weight once."""
    return _weight_bytes(LLAMA2_7B) / H100_BW * 1e3


def decode_tokens_per_s_7b(device):
    return 1e3 / decode_step_ms_7b(device)


def ridge_point_h100(device):
    """FLOPs per byte at which compute and bandwidth take equally long."""
    return H100_FLOPS / H100_BW


def prefill_ms_7b_2048(device):
    """Compute bound of a 2048-token prefill: 2 N FLOPs per token."""
    return 2 * _count(_build(LLAMA2_7B)) * 2048 / H100_FLOPS * 1e3


def kv_budget_tokens_7b_h100(device):
    """Tokens of KV cache that fit next to fp16 Llama-2-7B when 90% of 80 GB is given to the engine."""
    budget = 0.9 * H100_MEM - _weight_bytes(LLAMA2_7B)
    return budget // _kv_bytes(LLAMA2_7B, 1)


def kv_budget_seqs_4k(device):
    return kv_budget_tokens_7b_h100(device) // 4096


def prealloc_utilisation(device):
    """Reserving 2048 slots for requests that end at 300 tokens on average."""
    return 300 / 2048


def paged_utilisation(device):
    """Blocks of 16 tokens: on average half a block (7.5 slots) is wasted at the end of a sequence."""
    return 300 / (300 + 7.5)


def e2e_latency_s(device):
    """TTFT 200 ms, TPOT 30 ms, 256 output tokens: TTFT + (n - 1) TPOT."""
    return 0.200 + 255 * 0.030


def per_user_tokens_per_s(device):
    return 1 / 0.030


def prefix_cache_saved_share(device):
    """A 2000-token shared system prompt and a 500-token user turn."""
    return 2000 / 2500


def prefix_cache_prefill_ms(device):
    """Compute-bound prefill time on one H100 for 2500 tokens, and for the 500 uncached ones."""
    per_token = 2 * _count(_build(LLAMA2_7B)) / H100_FLOPS * 1e3
    return 2500 * per_token, 500 * per_token


def tp8_weight_gb_per_gpu_70b(device):
    return _weight_bytes(LLAMA2_70B) / 8 / 1e9


def tp_allreduces_per_step_70b(device):
    """Megatron-style tensor parallelism: one all-reduce after attention and one after the FFN per layer."""
    return 2 * LLAMA2_70B["layers"]


def tp_ring_bytes_per_allreduce(device):
    """Bytes each GPU sends in a ring all-reduce of one token's fp16 hidden state (8192) over 8 GPUs."""
    p, size = 8, LLAMA2_70B["d"] * 2
    return 2 * (p - 1) / p * size


def speculative_accepted_share(device):
    """Expected accepted draft tokens / gamma for alpha = 0.8, gamma = 4."""
    alpha, gamma = 0.8, 4
    return alpha * (1 - alpha ** gamma) / (1 - alpha) / gamma


def speculative_target_tokens_per_call(device):
    """Tokens the target model must score per call, gamma + 1, against the tokens it emits on average."""
    alpha, gamma = 0.8, 4
    return gamma + 1, (1 - alpha ** (gamma + 1)) / (1 - alpha)


def cost_per_million_tokens(device):
    """A GPU at 2 dollars an hour: batch-1 decoding at the bandwidth bound, and a batched 2,500 tokens/s."""
    dollars_per_s = 2.0 / 3600
    return (dollars_per_s / decode_tokens_per_s_7b(device) * 1e6, dollars_per_s / 2500 * 1e6)


def lora_adapter_mb_7b_r16(device):
    """A rank-16 LoRA adapter on q, k, v, o of Llama-2-7B in fp16, in MB (1e6 bytes)."""
    return lora_llama2_7b_r16_qkvo(device) * 2 / 1e6


def thousand_adapters_gb(device):
    return 1000 * lora_adapter_mb_7b_r16(device) / 1e3


def disagg_gpu_split(device):
    """60 requests/s; one prefill GPU handles 30 requests/s within the TTFT target, one decode GPU 5."""
    rate = 60
    return math.ceil(rate / 30), math.ceil(rate / 5)


def kv_transfer_gb_per_s(device):
    """KV cache shipped from prefill to decode GPUs: 2000-token prompts at 60 requests/s, fp16, in GB/s,
    for Llama-2-7B (32 KV heads) and for the same shape with 8 KV heads (GQA)."""
    tokens, rate = 2000, 60
    mha = _kv_bytes(LLAMA2_7B, tokens) * rate / 1e9
    gqa = _kv_bytes(dict(LLAMA2_7B, kv_heads=8), tokens) * rate / 1e9
    return mha, gqa

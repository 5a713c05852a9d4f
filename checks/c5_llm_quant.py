"""Checks for the LLM quantization and speculative-decoding questions of chapter 17: GPTQ/AWQ group storage,
int4 memory arithmetic, SmoothQuant scales, KV-cache quantization, the speculative-decoding speed-up."""

from checks.c5_llm import LLAMA2_7B, LLAMA2_70B, _build, _count, _kv_bytes


def _params(cfg):
    return _count(_build(cfg))


def int4_group128_bits_per_weight(device):
    """4-bit codes plus one fp16 scale and one 4-bit zero point per group of 128 weights."""
    return 4 + (16 + 4) / 128


def llama2_70b_params(device):
    return _params(LLAMA2_70B)


def llama2_70b_fp16_gb(device):
    return _params(LLAMA2_70B) * 2 / 1e9


def llama2_70b_int4_g128_gb(device):
    return _params(LLAMA2_70B) * int4_group128_bits_per_weight(device) / 8 / 1e9


def llama2_7b_fp16_gb(device):
    return _params(LLAMA2_7B) * 2 / 1e9


def llama2_7b_int4_g128_gb(device):
    return _params(LLAMA2_7B) * int4_group128_bits_per_weight(device) / 8 / 1e9


def smoothquant_scale_example(device):
    """s_j = max|X_j|^a / max|W_j|^(1-a) with a = 0.5, max|X_j| = 64, max|W_j| = 1: both become 8."""
    a, x_max, w_max = 0.5, 64.0, 1.0
    s = x_max ** a / w_max ** (1 - a)
    return s, x_max / s, w_max * s


def kv_cache_fp8_gib_llama2_7b_4k(device):
    """One 4096-token sequence of Llama-2-7B with the KV cache in FP8 (1 byte per value)."""
    return _kv_bytes(LLAMA2_7B, 4096, bytes_per=1) / 2 ** 30


def _expected_tokens(alpha, gamma):
    """Leviathan et al. (2023): tokens per target-model call, (1 - alpha^(gamma+1)) / (1 - alpha)."""
    return (1 - alpha ** (gamma + 1)) / (1 - alpha)


def _speedup(alpha, gamma, c):
    """Expected wall-time improvement when one draft step costs c target steps."""
    return _expected_tokens(alpha, gamma) / (gamma * c + 1)


def speculative_expected_tokens(device):
    return _expected_tokens(0.8, 4)


def speculative_speedup(device):
    return _speedup(0.8, 4, 0.05)


def speculative_best_gamma(device):
    """The draft length that maximises the speed-up for alpha = 0.8, c = 0.05."""
    return max(range(1, 21), key=lambda g: _speedup(0.8, g, 0.05))


def speculative_speedup_low_alpha(device):
    """A poorly matched draft model: alpha = 0.5, gamma = 4, c = 0.05."""
    return _speedup(0.5, 4, 0.05)


def kv_tokens_beside_70b_int4(device):
    """Tokens of fp16 KV cache (GQA, 327,680 bytes each) that fit beside INT4 Llama-2-70B on an 80 GB GPU."""
    free = 80e9 - llama2_70b_int4_g128_gb(device) * 1e9
    return int(free // _kv_bytes(LLAMA2_70B, 1))

"""Checks for the large-language-model questions of chapter 16: tokenization, positions, KV cache,
MQA/GQA, mixture of experts, scaling laws, alignment losses, RAG chunking, evaluation error bars, LoRA, QLoRA."""

import math

import torch
from torch import nn

# ---------------------------------------------------------------- model shapes

# Llama-2 (Touvron et al., 2023): untied embeddings, RMSNorm, SwiGLU FFN (three matrices), no biases.
LLAMA2_7B = dict(vocab=32000, d=4096, layers=32, heads=32, kv_heads=32, ffn=11008, experts=1, top_k=1)
LLAMA2_70B = dict(vocab=32000, d=8192, layers=80, heads=64, kv_heads=8, ffn=28672, experts=1, top_k=1)
# Mixtral 8x7B (Jiang et al., 2024): Mistral-7B shape with 8 SwiGLU experts per layer, top-2 routing.
MIXTRAL_8X7B = dict(vocab=32000, d=4096, layers=32, heads=32, kv_heads=8, ffn=14336, experts=8, top_k=2)


class _Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, hd = cfg["d"], cfg["d"] // cfg["heads"]
        self.q = nn.Linear(d, cfg["heads"] * hd, bias=False)
        self.k = nn.Linear(d, cfg["kv_heads"] * hd, bias=False)
        self.v = nn.Linear(d, cfg["kv_heads"] * hd, bias=False)
        self.o = nn.Linear(cfg["heads"] * hd, d, bias=False)
        self.experts = nn.ModuleList(
            nn.ModuleDict(dict(gate=nn.Linear(d, cfg["ffn"], bias=False), up=nn.Linear(d, cfg["ffn"], bias=False),
                               down=nn.Linear(cfg["ffn"], d, bias=False)))
            for _ in range(cfg["experts"]))
        self.router = nn.Linear(d, cfg["experts"], bias=False) if cfg["experts"] > 1 else None
        self.norm1, self.norm2 = nn.RMSNorm(d), nn.RMSNorm(d)


class _Decoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed = nn.Embedding(cfg["vocab"], cfg["d"])
        self.blocks = nn.ModuleList(_Block(cfg) for _ in range(cfg["layers"]))
        self.norm = nn.RMSNorm(cfg["d"])
        self.lm_head = nn.Linear(cfg["d"], cfg["vocab"], bias=False)


def _build(cfg):
    with torch.device("meta"):
        return _Decoder(cfg)


def _count(module):
    return sum(p.numel() for p in module.parameters())


def _active_params(cfg):
    """Parameters one token touches: every expert counts only top_k times."""
    model = _build(cfg)
    total = _count(model)
    per_expert = _count(model.blocks[0].experts[0])
    return total - cfg["layers"] * (cfg["experts"] - cfg["top_k"]) * per_expert


def llama2_7b_params(device):
    return _count(_build(LLAMA2_7B))


def mixtral_total_params(device):
    return _count(_build(MIXTRAL_8X7B))


def mixtral_active_params(device):
    return _active_params(MIXTRAL_8X7B)


# ---------------------------------------------------------------- tokenization

def gpt2_vocab_size(device):
    """256 byte symbols + 50,000 merges + <|endoftext|>."""
    return 256 + 50000 + 1


def utf8_bytes_per_han(device):
    return len("深".encode("utf-8"))


# ---------------------------------------------------------------- positions

def _rope(x, pos, base=10000.0):
    """Rotate consecutive pairs of x (..., d) by angle pos * base^(-2i/d)."""
    d = x.shape[-1]
    theta = pos * base ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    cos, sin = torch.cos(theta), torch.sin(theta)
    x1, x2 = x[..., 0::2], x[..., 1::2]
    out = torch.empty_like(x)
    out[..., 0::2] = x1 * cos - x2 * sin
    out[..., 1::2] = x1 * sin + x2 * cos
    return out


def rope_norm_change(device):
    """Largest relative change of the norm of random vectors after RoPE at positions up to 4096."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 128, dtype=torch.float64, generator=g)
    worst = 0.0
    for pos in (1, 7, 100, 4095):
        r = _rope(x, pos)
        worst = max(worst, ((r.norm(dim=-1) / x.norm(dim=-1)) - 1).abs().max().item())
    return worst


def rope_relative_gap(device):
    """|<R_m q, R_n k> - <R_{m+s} q, R_{n+s} k>|: the score depends only on m - n."""
    g = torch.Generator().manual_seed(1)
    q, k = torch.randn(128, dtype=torch.float64, generator=g), torch.randn(128, dtype=torch.float64, generator=g)
    a = torch.dot(_rope(q, 10), _rope(k, 3))
    b = torch.dot(_rope(q, 1010), _rope(k, 1003))
    return abs((a - b).item())


def rope_longest_wavelength(device):
    """Wavelength 2*pi*base^((d-2)/d) of the slowest pair, head dim 128, base 10000."""
    return 2 * math.pi * 10000 ** (126 / 128)


def alibi_slopes_8_heads(device):
    """Press et al. (2022): slopes 2^(-8i/h) for i = 1..h."""
    h = 8
    return tuple(2 ** (-8 * i / h) for i in (1, h))


def position_interpolation_factor(device):
    """Llama-2 trained at 4096, extended to 32768."""
    return 32768 / 4096


# ---------------------------------------------------------------- KV cache

def _kv_bytes(cfg, tokens, bytes_per=2):
    hd = cfg["d"] // cfg["heads"]
    with torch.device("meta"):
        k = torch.empty(cfg["layers"], cfg["kv_heads"], tokens, hd, dtype=torch.float16)
    return 2 * k.numel() * bytes_per


def llama2_7b_kv_bytes_per_token(device):
    return _kv_bytes(LLAMA2_7B, 1)


def llama2_7b_kv_bytes_4k(device):
    return _kv_bytes(LLAMA2_7B, 4096)


def llama2_7b_kv_gib_4k_batch16(device):
    return 16 * _kv_bytes(LLAMA2_7B, 4096) / 2 ** 30


def llama2_70b_kv_bytes_per_token(device):
    return _kv_bytes(LLAMA2_70B, 1)


def llama2_70b_kv_bytes_per_token_if_mha(device):
    return _kv_bytes(dict(LLAMA2_70B, kv_heads=LLAMA2_70B["heads"]), 1)


def gqa_saving_70b(device):
    return llama2_70b_kv_bytes_per_token_if_mha(device) / llama2_70b_kv_bytes_per_token(device)


# ---------------------------------------------------------------- scaling laws

def chinchilla_train_flops(device):
    """C = 6 N D for 70B parameters and 1.4T tokens."""
    return 6 * 70e9 * 1.4e12


def chinchilla_tokens_per_param(device):
    return 1.4e12 / 70e9


def compute_optimal_params_1e24(device):
    """With D = 20 N and C = 6 N D: N = sqrt(C / 120)."""
    return math.sqrt(1e24 / 120)


def compute_optimal_tokens_1e24(device):
    return 20 * compute_optimal_params_1e24(device)


# ---------------------------------------------------------------- alignment losses

def bradley_terry_prob_margin1(device):
    """P(chosen > rejected) = sigmoid(r_w - r_l) at a reward margin of 1."""
    return torch.sigmoid(torch.tensor(1.0, dtype=torch.float64)).item()


def bradley_terry_loss_margin1(device):
    return -torch.nn.functional.logsigmoid(torch.tensor(1.0, dtype=torch.float64)).item()


def dpo_loss_at_init(device):
    """Policy equals the reference: both log-ratios are 0, loss = -log sigmoid(0) = ln 2."""
    return -torch.nn.functional.logsigmoid(torch.tensor(0.0, dtype=torch.float64)).item()


def dpo_loss_example(device):
    """beta = 0.1; chosen log-ratio +5, rejected log-ratio -5 (nats): loss = -log sigmoid(0.1 * 10)."""
    beta, chosen, rejected = 0.1, 5.0, -5.0
    return -torch.nn.functional.logsigmoid(torch.tensor(beta * (chosen - rejected), dtype=torch.float64)).item()


def kl_penalised_reward(device):
    """InstructGPT-style reward: r - beta * sum_t log(pi/pi_ref), r = 2.0, beta = 0.02, summed log-ratio 15."""
    return 2.0 - 0.02 * 15.0


# ---------------------------------------------------------------- RAG and evaluation

def rag_chunk_count(device):
    """Chunks of 512 tokens with 64 tokens of overlap (stride 448) over a 10,000-token document."""
    n, size, overlap = 10000, 512, 64
    stride = size - overlap
    return 1 + math.ceil((n - size) / stride)


def benchmark_accuracy_ci95(device):
    """Half-width of the 95% normal interval for 70% accuracy on 14,042 questions (MMLU test size)."""
    p, n = 0.70, 14042
    return 1.959964 * math.sqrt(p * (1 - p) / n)


def benchmark_accuracy_ci95_small(device):
    """The same on a 500-question benchmark."""
    p, n = 0.70, 500
    return 1.959964 * math.sqrt(p * (1 - p) / n)


# ---------------------------------------------------------------- LoRA and QLoRA

def _lora_params(cfg, r, targets=("q", "k", "v", "o")):
    block = _build(dict(cfg, layers=1)).blocks[0]
    per_layer = sum(r * (getattr(block, t).in_features + getattr(block, t).out_features) for t in targets)
    return cfg["layers"] * per_layer


def lora_llama2_7b_r16_qkvo(device):
    return _lora_params(LLAMA2_7B, 16)


def lora_llama2_7b_r16_fraction(device):
    return lora_llama2_7b_r16_qkvo(device) / llama2_7b_params(device)


def qlora_bits_overhead_plain(device):
    """One fp32 absmax per block of 64 weights."""
    return 32 / 64


def qlora_bits_overhead_double(device):
    """Double quantization: 8-bit absmax per 64 weights, plus one fp32 constant per 256 blocks."""
    return 8 / 64 + 32 / (64 * 256)


def qlora_llama2_7b_base_gb(device):
    """Llama-2-7B frozen base in NF4 with double quantization, in GB (1e9 bytes)."""
    return llama2_7b_params(device) * (4 + qlora_bits_overhead_double(device)) / 8 / 1e9


def _nf4_levels():
    """The 16 NF4 code values (Dettmers et al., 2023): quantiles of N(0, 1), normalized to [-1, 1],
    8 non-negative and 7 negative levels plus an exact zero."""
    normal = torch.distributions.Normal(0.0, 1.0)
    offset = 0.9677083
    pos = normal.icdf(torch.linspace(offset, 0.5, 9, dtype=torch.float64))[:-1]
    neg = -normal.icdf(torch.linspace(offset, 0.5, 8, dtype=torch.float64))[:-1]
    v = torch.cat([pos, torch.zeros(1, dtype=torch.float64), neg]).sort().values
    return (v / v.abs().max()).numpy()


def nf4_level_count(device):
    return len(_nf4_levels())


# ---------------------------------------------------------------- additions: context extension, FFN width, data

def yarn_attention_scale_8(device):
    """YaRN (Peng et al., 2023): logits temperature sqrt(1/t) = 0.1 ln(s) + 1 for an 8x extension."""
    return 0.1 * math.log(8) + 1


def rope_pairs_longer_than_4096(device):
    """Of the 64 frequency pairs of a 128-dim head (base 10000), how many have a wavelength above 4096 tokens."""
    d, base = 128, 10000.0
    return sum(2 * math.pi * base ** (2 * i / d) > 4096 for i in range(d // 2))


def swiglu_hidden_llama2_7b(device):
    """2/3 of 4d, rounded up to a multiple of 256 (the Llama recipe)."""
    d, multiple = 4096, 256
    hidden = int(2 * 4 * d / 3)
    return multiple * math.ceil(hidden / multiple)


def swiglu_ffn_params(device):
    block = _build(dict(LLAMA2_7B, layers=1)).blocks[0]
    return _count(block.experts[0])


def gelu_ffn_params_4d(device):
    """A classic two-matrix FFN of width 4d = 16384 at d = 4096, no biases."""
    with torch.device("meta"):
        ffn = nn.Sequential(nn.Linear(4096, 16384, bias=False), nn.GELU(), nn.Linear(16384, 4096, bias=False))
    return _count(ffn)


def llama3_8b_tokens_per_param(device):
    """Llama 3 8B: about 15T training tokens for 8B parameters."""
    return 15e12 / 8e9


def reward_pairs_k9(device):
    """InstructGPT: K ranked responses per prompt give C(K, 2) comparisons."""
    return math.comb(9, 2)


def rrf_score_ranks_1_and_3(device):
    """Reciprocal rank fusion (Cormack et al., 2009), k = 60, a passage ranked 1st and 3rd by two retrievers."""
    return 1 / (60 + 1) + 1 / (60 + 3)


# ---------------------------------------------------------------- additions: pretraining objectives, evaluation

def mlm_position_shares(device):
    """BERT: 15% of positions are targets; of those 80% [MASK], 10% random, 10% unchanged."""
    return 0.15 * 0.8, 0.15 * 0.1, 0.15 * 0.1


def _pass_at_k(n, c, k):
    """Unbiased pass@k (Chen et al., 2021): 1 - C(n - c, k) / C(n, k)."""
    return 1 - math.comb(n - c, k) / math.comb(n, k)


def pass_at_k_examples(device):
    """10 samples per problem, 3 of them correct: pass@1 and pass@5."""
    return _pass_at_k(10, 3, 1), _pass_at_k(10, 3, 5)


def attention_cost_ratio_4x_longer(device):
    """Self-attention's n^2 term when a character-level sequence is 4 times as long as the subword one."""
    return 4 ** 2


# ---------------------------------------------------------------- additions: multi-head latent attention

# DeepSeek-V2 (DeepSeek-AI, 2024): 60 layers, 128 heads of 128 dims, KV latent 512, decoupled RoPE key 64.
DSV2 = dict(layers=60, heads=128, head_dim=128, latent=512, rope_dim=64)


def mla_cache_elems_per_token_layer(device):
    return DSV2["latent"] + DSV2["rope_dim"]


def mha_cache_elems_per_token_layer_dsv2(device):
    return 2 * DSV2["heads"] * DSV2["head_dim"]


def mla_saving_vs_mha(device):
    return mha_cache_elems_per_token_layer_dsv2(device) / mla_cache_elems_per_token_layer(device)


def mla_bytes_per_token_bf16(device):
    return mla_cache_elems_per_token_layer(device) * DSV2["layers"] * 2


def gqa8_over_mla(device):
    """The same shape with GQA and 8 KV groups, against MLA."""
    return 2 * 8 * DSV2["head_dim"] / mla_cache_elems_per_token_layer(device)


# ---------------------------------------------------------------- additions: self-consistency

def _majority_correct(p, n):
    """Probability that more than half of n independent samples are correct (the worst case for voting,
    where all wrong samples agree on one wrong answer)."""
    return sum(math.comb(n, k) * p ** k * (1 - p) ** (n - k) for k in range(n // 2 + 1, n + 1))


def self_consistency_majority(device):
    """Single-sample accuracy 0.6: majority of 5 and of 15 samples."""
    return _majority_correct(0.6, 5), _majority_correct(0.6, 15)


def self_consistency_weak_model(device):
    """Single-sample accuracy 0.4, majority of 15: voting makes a weak model worse in the worst case."""
    return _majority_correct(0.4, 15)

"""Checks for chapter 16 (NLP): Transformer/BERT/GPT parameter counts, attention FLOPs,
perplexity, BLEU and ROUGE-L on worked examples."""

import math
import warnings
from collections import Counter

import numpy as np
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


# ---------------------------------------------------------------- Transformer parameters

def _params(module):
    return sum(p.numel() for p in module.parameters())


def encoder_layer_params(device):
    """nn.TransformerEncoderLayer(d_model=512, nhead=8, dim_feedforward=2048): attention + FFN + 2 LayerNorms."""
    with torch.device("meta"):
        layer = nn.TransformerEncoderLayer(d_model=512, nhead=8, dim_feedforward=2048)
    return _params(layer)


def encoder_layer_attention_params(device):
    with torch.device("meta"):
        layer = nn.TransformerEncoderLayer(d_model=512, nhead=8, dim_feedforward=2048)
    return _params(layer.self_attn)


def encoder_layer_ffn_params(device):
    with torch.device("meta"):
        layer = nn.TransformerEncoderLayer(d_model=512, nhead=8, dim_feedforward=2048)
    return _params(layer.linear1) + _params(layer.linear2)


def transformer_base_params(device):
    """nn.Transformer() defaults (d=512, 6+6 layers, d_ff=2048), without embeddings and output projection."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nested-tensor notice, irrelevant for counting
        with torch.device("meta"):
            model = nn.Transformer()
    return _params(model)


class _BertLike(nn.Module):
    """BERT-base-like: token (30522) + position (512) + segment (2) embeddings with LayerNorm,
    12 post-LN encoder layers (768, 12 heads, 3072, GELU) and the pooler (768x768 + tanh)."""

    def __init__(self, vocab=30522, d=768, layers=12, heads=12, ff=3072, positions=512, types=2):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(positions, d)
        self.typ = nn.Embedding(types, d)
        self.emb_norm = nn.LayerNorm(d)
        layer = nn.TransformerEncoderLayer(d, heads, ff, activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.pooler = nn.Linear(d, d)


def _bert():
    with torch.device("meta"):
        return _BertLike()


def bert_base_params(device):
    return _params(_bert())


def bert_base_embedding_params(device):
    m = _bert()
    return _params(m.tok) + _params(m.pos) + _params(m.typ) + _params(m.emb_norm)


def bert_base_layer_params(device):
    return _params(_bert().encoder.layers[0])


def bert_large_params(device):
    with torch.device("meta"):
        m = _BertLike(d=1024, layers=24, heads=16, ff=4096)
    return _params(m)


def gpt2_small_params(device):
    """GPT-2 small: token 50257x768 (tied with the output layer), 1024 positions, 12 pre-LN blocks, final LN."""
    with torch.device("meta"):
        wte = nn.Embedding(50257, 768)
        wpe = nn.Embedding(1024, 768)
        block = nn.TransformerEncoderLayer(768, 12, 3072, activation="gelu", norm_first=True)
        ln_f = nn.LayerNorm(768)
    return _params(wte) + _params(wpe) + 12 * _params(block) + _params(ln_f)


# ---------------------------------------------------------------- attention FLOPs

def _attention_flops(n, d, heads):
    """FLOPs (2 per multiply-add) of one multi-head self-attention layer on one sequence of length n,
    counted by PyTorch's FlopCounterMode on meta tensors: Q/K/V/O projections plus QK^T and AV."""
    with torch.device("meta"):
        mha = nn.MultiheadAttention(d, heads, batch_first=True)
        x = torch.empty(1, n, d)
    counter = FlopCounterMode(display=False)
    with counter:
        # need_weights=False keeps the math path honest; the counter sees the matmuls either way
        mha(x, x, x, need_weights=False)
    return counter.get_total_flops()


def attention_flops_bert_512(device):
    return _attention_flops(512, 768, 12)


def _attention_flops_bert_512_formula(device):
    n, d = 512, 768
    return 8 * n * d * d + 4 * n * n * d


def attention_quadratic_share_4096(device):
    """Share of the n^2 terms (QK^T and AV) in the attention FLOPs at n=4096, d=768."""
    n, d = 4096, 768
    total = _attention_flops(n, d, 12)
    return 4 * n * n * d / total


def ffn_flops_bert_512(device):
    with torch.device("meta"):
        ffn = nn.Sequential(nn.Linear(768, 3072), nn.GELU(), nn.Linear(3072, 768))
        x = torch.empty(1, 512, 768)
    counter = FlopCounterMode(display=False)
    with counter:
        ffn(x)
    return counter.get_total_flops()


# ---------------------------------------------------------------- scaled dot-product

def sdpa_scale_dk64(device):
    """The default scale of F.scaled_dot_product_attention for d_k = 64, recovered numerically."""
    torch.manual_seed(0)
    q = torch.randn(1, 1, 3, 64, dtype=torch.float64)
    k = torch.randn(1, 1, 3, 64, dtype=torch.float64)
    v = torch.eye(3, dtype=torch.float64).view(1, 1, 3, 3)
    out = torch.nn.functional.scaled_dot_product_attention(q, k, v)  # rows = softmax(s * q k^T)
    logits = torch.log(out[0, 0])
    raw = q[0, 0] @ k[0, 0].T
    # softmax is shift invariant: compare differences within a row
    s = (logits[0, 1] - logits[0, 0]) / (raw[0, 1] - raw[0, 0])
    return s.item()


def dot_product_variance_dk64(device):
    """Variance of q.k for q, k with i.i.d. N(0,1) components, d_k = 64 (expected: d_k)."""
    rng = np.random.default_rng(0)
    q = rng.standard_normal((50_000, 64))
    k = rng.standard_normal((50_000, 64))
    return float(np.var((q * k).sum(axis=1)))


def dot_product_variance_scaled_dk64(device):
    rng = np.random.default_rng(0)
    q = rng.standard_normal((50_000, 64))
    k = rng.standard_normal((50_000, 64))
    return float(np.var((q * k).sum(axis=1) / math.sqrt(64)))


# ---------------------------------------------------------------- perplexity

PPL_PROBS = [0.5, 0.25, 0.125, 0.5]


def perplexity_example(device):
    nll = -np.log(np.array(PPL_PROBS))
    return float(np.exp(nll.mean()))


def perplexity_example_mean_nll(device):
    return float(-np.log(np.array(PPL_PROBS)).mean())


def perplexity_uniform_vocab(device):
    """A model that is uniform over a 30522-token vocabulary has perplexity equal to the vocabulary size."""
    p = np.full(10, 1.0 / 30522)
    return round(float(np.exp(-np.log(p).mean())), 6)  # float round-off only


# ---------------------------------------------------------------- BLEU / ROUGE

BLEU_CAND = "the cat sat on the mat".split()
BLEU_REF = "the cat is on the mat".split()


def _ngrams(tokens, n):
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def _modified_precisions(cand, ref, max_n=4):
    out = []
    for n in range(1, max_n + 1):
        c, r = _ngrams(cand, n), _ngrams(ref, n)
        match = sum(min(cnt, r[g]) for g, cnt in c.items())
        out.append((match, max(sum(c.values()), 0)))
    return out


def _bleu(cand, ref, smooth=True, max_n=4):
    """Sentence BLEU-4, uniform weights, brevity penalty; smoothing: +1 to numerator and denominator
    for n >= 2 (Lin and Och, 2004)."""
    logs = []
    for n, (m, t) in enumerate(_modified_precisions(cand, ref, max_n), start=1):
        if smooth and n >= 2:
            m, t = m + 1, t + 1
        if m == 0:
            return 0.0
        logs.append(math.log(m / t))
    c, r = len(cand), len(ref)
    bp = 1.0 if c > r else math.exp(1 - r / c)
    return bp * math.exp(sum(logs) / max_n)


def bleu_precisions(device):
    return tuple(m / t for m, t in _modified_precisions(BLEU_CAND, BLEU_REF))


def bleu_unsmoothed(device):
    return _bleu(BLEU_CAND, BLEU_REF, smooth=False)


def bleu_smoothed(device):
    return _bleu(BLEU_CAND, BLEU_REF, smooth=True)


def bleu_brevity_penalty_short(device):
    """Brevity penalty for a 4-token candidate against a 6-token reference."""
    c, r = 4, 6
    return math.exp(1 - r / c)


def rouge_l_f(device):
    a, b = BLEU_CAND, BLEU_REF
    dp = np.zeros((len(a) + 1, len(b) + 1), dtype=int)
    for i in range(len(a)):
        for j in range(len(b)):
            dp[i + 1, j + 1] = dp[i, j] + 1 if a[i] == b[j] else max(dp[i, j + 1], dp[i + 1, j])
    lcs = dp[-1, -1]
    p, r = lcs / len(a), lcs / len(b)
    return 2 * p * r / (p + r)


# ---------------------------------------------------------------- embeddings

def skipgram_params(device):
    """word2vec keeps two tables (input and output vectors): 2 x V x d for V = 100,000 and d = 300."""
    with torch.device("meta"):
        w_in = nn.Embedding(100_000, 300)
        w_out = nn.Embedding(100_000, 300)
    return _params(w_in) + _params(w_out)


def negative_sampling_unigram_power(device):
    """Probability of the rarer of two words (counts 1 and 99) under the 3/4-power unigram distribution."""
    counts = np.array([1.0, 99.0])
    p = counts ** 0.75
    p /= p.sum()
    return float(p[0])


def lora_fraction_4096_r8(device):
    """LoRA with r = 8 on a 4096 x 4096 weight: trainable (B: 4096x8, A: 8x4096) over frozen parameters."""
    d = k = 4096
    r = 8
    with torch.device("meta"):
        w = torch.nn.Linear(k, d, bias=False)
        a = torch.nn.Parameter(torch.empty(r, k))
        b = torch.nn.Parameter(torch.empty(d, r))
    return (a.numel() + b.numel()) / w.weight.numel()

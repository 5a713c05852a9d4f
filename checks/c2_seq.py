"""Checks for chapter 6 additions: PyTorch's default LSTM bias, state-space models, linear attention, seq2seq attention."""

import math

import numpy as np
import torch
from torch import nn


def _default_lstm_forget_bias(hidden=256):
    torch.manual_seed(0)
    lstm = nn.LSTM(32, hidden)
    return (lstm.bias_ih_l0 + lstm.bias_hh_l0)[hidden:2 * hidden].detach()


def pytorch_lstm_forget_bias_bound_256(device):
    """Bound on the effective forget-gate bias under PyTorch's default U(-1/sqrt(H), 1/sqrt(H)) init, H = 256."""
    return 2 / math.sqrt(256)


def pytorch_lstm_forget_gate_mean_256(device):
    """Mean sigmoid of the effective forget-gate bias of a freshly built nn.LSTM(32, 256), seed 0."""
    return float(torch.sigmoid(_default_lstm_forget_bias()).mean())



def zoh_abar_example(device):
    """Zero-order-hold discretisation of the scalar SSM x' = a x + b u with a = -1, b = 1, step 0.1: A_bar = exp(a*dt)."""
    a, dt = torch.tensor(-1.0, dtype=torch.float64), 0.1
    return float(torch.linalg.matrix_exp((a * dt).reshape(1, 1))[0, 0])


def zoh_bbar_example(device):
    """B_bar = (exp(a dt) - 1) / a * b for the same scalar SSM."""
    a, dt = -1.0, 0.1
    return (math.exp(a * dt) - 1) / a


def ssm_recurrence_equals_convolution(device):
    """Largest gap between a discretised diagonal SSM run as a recurrence and as a convolution with K_k = C A^k B."""
    g = torch.Generator().manual_seed(0)
    n, L = 8, 64
    a = -torch.rand(n, generator=g, dtype=torch.float64) - 0.1
    dt = 0.1
    abar = torch.exp(a * dt)
    bbar = (abar - 1) / a
    c = torch.randn(n, generator=g, dtype=torch.float64)
    u = torch.randn(L, generator=g, dtype=torch.float64)
    x = torch.zeros(n, dtype=torch.float64)
    y_rec = []
    for k in range(L):
        x = abar * x + bbar * u[k]
        y_rec.append((c * x).sum())
    y_rec = torch.stack(y_rec)
    kernel = torch.stack([(c * abar ** k * bbar).sum() for k in range(L)])
    y_conv = torch.stack([(kernel[:k + 1].flip(0) * u[:k + 1]).sum() for k in range(L)])
    return float((y_rec - y_conv).abs().max())


def mamba_28b_ssm_state_per_layer(device):
    """SSM state values per layer of Mamba-2.8B: d_inner (2 x 2560) x d_state (16)."""
    return 2 * 2560 * 16


def mamba_28b_ssm_state_bytes_fp16(device):
    """SSM state of all 64 layers of Mamba-2.8B in fp16, per sequence: independent of context length."""
    return 64 * mamba_28b_ssm_state_per_layer(device) * 2


def kv_cache_bytes_fp16_2560_32l_2048(device):
    """For comparison: KV cache of a 32-layer, width-2560 Transformer at 2,048 tokens in fp16, per sequence."""
    return 2 * 32 * 2560 * 2048 * 2


def linear_attention_state_ratio(device):
    """KV-cache values (2 n d) over linear-attention state values (d x d) for one head, n = 4096, d = 64."""
    n, d = 4096, 64
    return (2 * n * d) / (d * d)


def _linear_attention_causal_gap(device):
    """Largest gap between causal linear attention computed in parallel (masked) and as a recurrence (Katharopoulos et al., 2020)."""
    g = torch.Generator().manual_seed(0)
    n, d = 16, 8
    q, k, v = (torch.randn(n, d, generator=g, dtype=torch.float64) for _ in range(3))
    phi = lambda t: torch.nn.functional.elu(t) + 1
    fq, fk = phi(q), phi(k)
    scores = (fq @ fk.T).tril()
    out_par = (scores @ v) / scores.sum(-1, keepdim=True)
    s = torch.zeros(d, d, dtype=torch.float64)
    z = torch.zeros(d, dtype=torch.float64)
    rows = []
    for i in range(n):
        s = s + torch.outer(fk[i], v[i])
        z = z + fk[i]
        rows.append((fq[i] @ s) / (fq[i] @ z))
    return float((out_par - torch.stack(rows)).abs().max())


def uniform_lm_perplexity_10000(device):
    """Perplexity of a language model that predicts uniformly over a 10,000-word vocabulary: exp(cross-entropy)."""
    logits = torch.zeros(32, 10000, dtype=torch.float64)
    targets = torch.arange(32) * 311 % 10000
    return float(torch.exp(nn.functional.cross_entropy(logits, targets)))


def fp32_exp_overflow_threshold(device):
    """Largest x with exp(x) finite in float32 (log of float32's max): why xLSTM's exponential gates need a stabilizer."""
    return float(np.log(np.finfo(np.float32).max))

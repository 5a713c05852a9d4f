"""Checks for recurrent networks (chapter 6): parameter counts from nn.RNN/nn.LSTM/nn.GRU, gradient decay, ESNs."""


import numpy as np
import torch
from torch import nn


def _count(m):
    return sum(p.numel() for p in m.parameters())


def _build(cls, *args, **kw):
    with torch.device("meta"):
        return cls(*args, **kw)


def rnn_params_128_256(device):
    return _count(_build(nn.RNN, 128, 256))


def lstm_params_128_256(device):
    return _count(_build(nn.LSTM, 128, 256))


def gru_params_128_256(device):
    return _count(_build(nn.GRU, 128, 256))


def gru_over_lstm(device):
    return gru_params_128_256(device) / lstm_params_128_256(device)


def lstm_params_no_double_bias(device):
    """The textbook count 4[(m+n)n + n] with a single bias per gate (Keras style), for m=128, n=256."""
    m = _build(nn.LSTM, 128, 256)
    return _count(m) - m.bias_hh_l0.numel()


def lstm_2layer_bi_params(device):
    """nn.LSTM(128, 256, num_layers=2, bidirectional=True)."""
    return _count(_build(nn.LSTM, 128, 256, num_layers=2, bidirectional=True))


def _lstm_bi_output_shape(device):
    """Output of a 2-layer bidirectional LSTM for a batch of 4 sequences of length 10 (batch_first)."""
    m = _build(nn.LSTM, 128, 256, num_layers=2, bidirectional=True, batch_first=True)
    with torch.no_grad():
        out, (h, c) = m(torch.empty(4, 10, 128, device="meta"))
    return tuple(out.shape) + tuple(h.shape)


def lstm_bi_out_shape_only(device):
    return _lstm_bi_output_shape(device)[:3]


def lstm_bi_h_shape_only(device):
    return _lstm_bi_output_shape(device)[3:]


def vanishing_factor(device):
    """|d h_T / d h_0| for a scalar tanh RNN h_t = tanh(w h_{t-1}) with w=0.9, h_0 = 0.5, T = 50 steps."""
    h = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    x = h
    for _ in range(50):
        x = torch.tanh(0.9 * x)
    x.backward()
    return h.grad.item()


def power_of_spectral(device):
    """Upper bound on the gradient factor over 50 steps when ||W|| * max|tanh'| = 0.9: 0.9**50."""
    return 0.9 ** 50


def exploding_factor(device):
    """Linear RNN with recurrent weight 1.1 over 50 steps: the gradient factor 1.1**50, measured by autograd."""
    h = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    x = h
    for _ in range(50):
        x = 1.1 * x
    x.backward()
    return h.grad.item()


def clip_grad_example(device):
    """Gradient (3, 4) clipped to max norm 1 by clip_grad_norm_: the clipped vector."""
    p = nn.Parameter(torch.zeros(2, dtype=torch.float64))
    p.grad = torch.tensor([3.0, 4.0], dtype=torch.float64)
    torch.nn.utils.clip_grad_norm_([p], max_norm=1.0)
    return tuple(p.grad.tolist())


def _esn_spectral_radius(device):
    """Reservoir rescaled to spectral radius 0.9: the radius measured after rescaling (seeded)."""
    rng = np.random.default_rng(0)
    w = rng.uniform(-0.5, 0.5, (200, 200)) * (rng.random((200, 200)) < 0.05)
    w *= 0.9 / np.abs(np.linalg.eigvals(w)).max()
    return float(np.abs(np.linalg.eigvals(w)).max())


def esn_trainable_fraction(device):
    """ESN with 1 input, 200 reservoir units, 1 output: share of all weights that are trained (readout only)."""
    n_in, n_res, n_out = 1, 200, 1
    w_in, w_res, w_out = n_res * n_in, n_res * n_res, n_out * (n_res + n_in)
    return w_out / (w_in + w_res + w_out)


def clockwork_connection_fraction(device):
    """Clockwork RNN with g equal modules: recurrent weights kept (block upper-triangular) vs a full matrix."""
    g, k = 8, 16
    n = g * k
    mask = np.zeros((n, n))
    for i in range(g):
        mask[i * k:(i + 1) * k, i * k:] = 1   # module i reads modules j >= i (slower or same)
    return mask.sum() / (n * n)


def clockwork_update_fraction(device):
    """Periods 1, 2, 4, ..., 128 (8 modules): average fraction of modules updated per step over 256 steps."""
    periods = [2 ** i for i in range(8)]
    steps = 256
    updates = sum(1 for t in range(steps) for p in periods if t % p == 0)
    return updates / (steps * len(periods))


def bahdanau_attention_weights(device):
    """Additive attention over 3 encoder states: softmax of scores [1, 2, 3] (rounded in the text)."""
    s = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    return tuple(torch.softmax(s, 0).tolist())


def seq2seq_param_count(device):
    """Encoder LSTM(256->512) + decoder LSTM(256->512) + output Linear(512->10000) + two 10000x256 embeddings."""
    with torch.device("meta"):
        parts = [nn.Embedding(10000, 256), nn.LSTM(256, 512), nn.Embedding(10000, 256), nn.LSTM(256, 512),
                 nn.Linear(512, 10000)]
    return sum(_count(p) for p in parts)


def lstm_forget_bias_one(device):
    """sigmoid(1): the forget gate's value at initialisation when its bias is set to 1 and the input is 0."""
    return torch.sigmoid(torch.tensor(1.0, dtype=torch.float64)).item()


def seq2seq_vocab_share(device):
    """Share of the toy seq2seq model's parameters in the two embedding tables and the output layer."""
    with torch.device("meta"):
        vocab = [nn.Embedding(10000, 256), nn.Embedding(10000, 256), nn.Linear(512, 10000)]
    return sum(_count(p) for p in vocab) / seq2seq_param_count(device)

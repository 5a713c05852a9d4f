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


"""Checks for chapter 10 (reinforcement learning) questions added or corrected by helper C3."""

import math

import numpy as np
import torch


def _diag_gaussian_log_prob(a, mu, log_std):
    a, mu, log_std = (torch.as_tensor(x, dtype=torch.float64) for x in (a, mu, log_std))
    return torch.distributions.Normal(mu, log_std.exp()).log_prob(a).sum(-1)


def ppo_gaussian_ratio(device):
    """PPO ratio for a 2-D diagonal Gaussian policy: action (0.5, -0.2), old mean (0, 0), new mean (0.1, -0.1), std 1."""
    a = [0.5, -0.2]
    new = _diag_gaussian_log_prob(a, [0.1, -0.1], [0.0, 0.0])
    old = _diag_gaussian_log_prob(a, [0.0, 0.0], [0.0, 0.0])
    return float(torch.exp(new - old))

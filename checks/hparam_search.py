"""Checks for hyperparameter search (chapter 14)."""

import itertools
import math

import numpy as np


def grid_points_5x4(device):
    """A full grid over 5 hyperparameters with 4 values each."""
    return len(list(itertools.product(*[range(4)] * 5)))


def grid_distinct_values_9(device):
    """A 3x3 grid spends 9 trials but tries only 3 distinct values of each hyperparameter."""
    grid = list(itertools.product([0.0, 0.5, 1.0], [0.0, 0.5, 1.0]))
    return len({g[0] for g in grid})


def random_distinct_values_9(device):
    """9 random trials try 9 distinct values of each hyperparameter (with probability 1)."""
    rng = np.random.default_rng(0)
    pts = rng.uniform(size=(9, 2))
    return len(set(pts[:, 0].tolist()))


def random_top5_60(device):
    """P(at least one of 60 independent uniform trials lands in the top 5%) = 1 - 0.95^60, by simulation check."""
    p = 1 - 0.95 ** 60
    rng = np.random.default_rng(0)
    sims = (rng.uniform(size=(20000, 60)) > 0.95).any(axis=1).mean()
    assert abs(sims - p) < 0.01
    return p


def random_trials_for_99(device):
    """Smallest n with 1 - 0.95^n >= 0.99."""
    n = 1
    while 1 - 0.95 ** n < 0.99:
        n += 1
    return n


def random_top1_60(device):
    """Top 1% instead of top 5%: 1 - 0.99^60."""
    return 1 - 0.99 ** 60


def uniform_share_top_decade(device):
    """Uniform sampling of lr in [1e-4, 1]: share of samples that land in [0.1, 1]."""
    rng = np.random.default_rng(0)
    x = rng.uniform(1e-4, 1.0, size=200000)
    return float((x >= 0.1).mean())


def log_uniform_share_per_decade(device):
    """Log-uniform sampling of lr in [1e-4, 1]: share per decade, e.g. [1e-4, 1e-3]."""
    rng = np.random.default_rng(0)
    x = 10 ** rng.uniform(-4, 0, size=200000)
    return float(((x >= 1e-4) & (x < 1e-3)).mean())


def _beta_window(beta):
    return 1.0 / (1.0 - beta)


def beta_window_0999(device):
    return _beta_window(0.999)


def beta_window_09995(device):
    return _beta_window(0.9995)


def beta_window_0905(device):
    return _beta_window(0.905)


def successive_halving_budget(device):
    """n=81 configs, eta=3, min budget 1 epoch: (rounds, total epochs) when every round spends 81 epochs."""
    n, r, eta = 81, 1, 3
    rounds, total = 0, 0
    while n >= 1:
        rounds += 1
        total += n * r
        if n == 1:
            break
        n, r = n // eta, r * eta
    return rounds, total


def successive_halving_vs_full(device):
    """Full training of all 81 configs for 81 epochs vs successive halving's budget: speed-up factor."""
    rounds, total = successive_halving_budget(device)
    return 81 * 81 / total


def hyperband_brackets(device):
    """Hyperband with R=81, eta=3: s_max = floor(log_3 81) = 4, so 5 brackets; n in the most aggressive bracket."""
    R, eta = 81, 3
    s_max = int(math.floor(math.log(R) / math.log(eta) + 1e-9))
    n_first = int(math.ceil((s_max + 1) / (s_max + 1) * eta ** s_max))
    return s_max + 1, n_first


def linear_scaling_lr(device):
    """Goyal et al. 2017: lr 0.1 for batch 256 scales to 0.1 * 8192/256 for batch 8192."""
    return 0.1 * 8192 / 256


def sqrt_scaling_lr(device):
    """Square-root scaling from batch 256 (lr 1e-3) to batch 1024: 1e-3 * sqrt(4)."""
    return 1e-3 * math.sqrt(1024 / 256)


def max_of_noise_expected(device):
    """Expected best dev accuracy among 100 equally good configs whose dev accuracy is 0.90 +- 0.003 (std) noise:
    about 0.90 + 2.5 * 0.003. Returns the expected gain in percentage points (simulated)."""
    rng = np.random.default_rng(0)
    acc = 0.90 + 0.003 * rng.standard_normal(size=(4000, 100))
    return round(100 * (acc.max(axis=1).mean() - 0.90), 2)


def seed_std_mean(device):
    """Standard error of the mean over 5 seeds with per-seed std 0.3: 0.3/sqrt(5)."""
    return 0.3 / math.sqrt(5)

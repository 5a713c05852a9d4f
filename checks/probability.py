"""Checks for probability and information theory (chapter 1)."""

import math

import numpy as np
import torch


def bayes_posterior(device):
    """P(sick | positive) with prevalence 1%, sensitivity 99%, false-positive rate 5%."""
    prior, sens, fpr = 0.01, 0.99, 0.05
    return sens * prior / (sens * prior + fpr * (1 - prior))


def _gauss_within(k):
    n = torch.distributions.Normal(torch.tensor(0.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64))
    return (n.cdf(torch.tensor(k, dtype=torch.float64)) - n.cdf(torch.tensor(-k, dtype=torch.float64))).item()


def gauss_1sigma(device):
    return _gauss_within(1.0)


def gauss_196(device):
    return _gauss_within(1.96)


def gauss_3sigma(device):
    return _gauss_within(3.0)


def uniform_half_density(device):
    u = torch.distributions.Uniform(torch.tensor(0.0), torch.tensor(0.5))
    return u.log_prob(torch.tensor(0.25)).exp().item()


def bernoulli_max_var(device):
    p = np.linspace(0, 1, 1001)
    return float((p * (1 - p)).max())


def exp_mean_var(device):
    d = torch.distributions.Exponential(torch.tensor(2.0, dtype=torch.float64))
    return (d.mean.item(), d.variance.item())


def laplace_var(device):
    d = torch.distributions.Laplace(torch.tensor(0.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64))
    return d.variance.item()


def laplace_vs_gauss_tail(device):
    """P(|X| > 3) for a Laplace(0, b) and a Gaussian with the same variance 2, returned as (laplace, gauss)."""
    b = 1.0
    lap = math.exp(-3 / b)
    sigma = math.sqrt(2 * b * b)
    gauss = math.erfc(3 / (sigma * math.sqrt(2)))
    return (round(lap, 4), round(gauss, 4))


def biased_var_ratio(device):
    """E[(1/n) sum (x - mean)^2] / sigma^2 for n = 5, simulated."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200_000, 5))
    return float(x.var(axis=1, ddof=0).mean())


def _joint_table():
    # rows: weather (sunny, rainy); cols: commute (bike, bus)
    return np.array([[0.40, 0.20], [0.10, 0.30]])


def marginal_rainy(device):
    return float(_joint_table()[1].sum())


def cond_bus_given_rainy(device):
    j = _joint_table()
    return float(j[1, 1] / j[1].sum())


def cond_rainy_given_bus(device):
    j = _joint_table()
    return float(j[1, 1] / j[:, 1].sum())


def chain_rule_three(device):
    """P(a, b, c) for three draws without replacement all red, from 5 red + 5 blue: P(a)P(b|a)P(c|a,b)."""
    red, total = 5, 10
    p = 1.0
    for k in range(3):
        p *= (red - k) / (total - k)
    return p


def dice_independent(device):
    """P(sum = 7 and first = 3) equals P(sum = 7) P(first = 3): returns (joint, product)."""
    outcomes = [(a, b) for a in range(1, 7) for b in range(1, 7)]
    n = len(outcomes)
    joint = sum(1 for a, b in outcomes if a + b == 7 and a == 3) / n
    p7 = sum(1 for a, b in outcomes if a + b == 7) / n
    p3 = sum(1 for a, b in outcomes if a == 3) / n
    return (round(joint, 6), round(p7 * p3, 6))


def dice_dependent(device):
    """P(sum = 8 | first = 3) vs P(sum = 8)."""
    outcomes = [(a, b) for a in range(1, 7) for b in range(1, 7)]
    p8 = sum(1 for a, b in outcomes if a + b == 8) / 36
    p8_given3 = sum(1 for a, b in outcomes if a == 3 and a + b == 8) / 6
    return (p8_given3, p8)


def dice_mean_var(device):
    x = np.arange(1, 7)
    mean = x.mean()
    return (float(mean), float(((x - mean) ** 2).mean()))


def kl_pq(device):
    p = torch.tensor([0.5, 0.5], dtype=torch.float64)
    q = torch.tensor([0.9, 0.1], dtype=torch.float64)
    return (p * (p / q).log()).sum().item()


def kl_qp(device):
    p = torch.tensor([0.5, 0.5], dtype=torch.float64)
    q = torch.tensor([0.9, 0.1], dtype=torch.float64)
    return (q * (q / p).log()).sum().item()


def coin_entropy_bits(device):
    p = torch.tensor([0.5, 0.5], dtype=torch.float64)
    return -(p * p.log2()).sum().item()


def biased_coin_entropy_bits(device):
    p = torch.tensor([0.9, 0.1], dtype=torch.float64)
    return -(p * p.log2()).sum().item()


def coin_mle(device):
    """Maximise the Bernoulli log-likelihood of 7 heads in 10 tosses on a grid."""
    p = np.linspace(0.001, 0.999, 999)
    ll = 7 * np.log(p) + 3 * np.log(1 - p)
    return float(p[ll.argmax()].round(3))


def corr_x_x2(device):
    """Sample correlation of X and X^2 for X ~ N(0, 1): near zero although X^2 depends on X."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(100_000)
    return float(np.corrcoef(x, x ** 2)[0, 1])


def cov_matrix_eigs(device):
    """Eigenvalues of the covariance matrix [[4, 2], [2, 3]] (a covariance matrix is PSD)."""
    return tuple(np.linalg.eigvalsh(np.array([[4.0, 2.0], [2.0, 3.0]])).round(4))


def corr_from_cov(device):
    c = np.array([[4.0, 2.0], [2.0, 3.0]])
    return float(c[0, 1] / math.sqrt(c[0, 0] * c[1, 1]))


def empirical_mean(device):
    data = torch.tensor([2.0, 3.0, 3.0, 8.0])
    return data.mean().item()


def clt_mean_std(device):
    """Std of the mean of 100 Uniform(0, 1) draws: sqrt(1/12/100), simulated."""
    rng = np.random.default_rng(0)
    return float(rng.random((20_000, 100)).mean(axis=1).std())


def expectation_linearity(device):
    """E[2X + 3Y] for a fair die X and Y ~ Bernoulli(0.3), by enumeration."""
    total = 0.0
    for x in range(1, 7):
        for y, py in ((0, 0.7), (1, 0.3)):
            total += (2 * x + 3 * y) * (1 / 6) * py
    return total


def coin_map_beta22(device):
    """MAP of a Bernoulli parameter after 3 heads in 3 tosses with a Beta(2, 2) prior, on a grid."""
    p = np.linspace(0.001, 0.999, 999)
    log_post = 3 * np.log(p) + (np.log(p) + np.log(1 - p))   # likelihood p^3 times prior p(1-p)
    return float(p[log_post.argmax()].round(3))

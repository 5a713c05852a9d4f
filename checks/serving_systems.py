"""Checks for chapter 18 (back-end architecture): Little's law, queueing delay, batching throughput,
dynamic-batching simulation, tail latency under fan-out, A/B-test sample size, PSI, caching."""

import math
from statistics import NormalDist

import numpy as np

# ---------------------------------------------------------------- Little's law and capacity

def littles_law_concurrency(device):
    """L = lambda * W for 2000 requests/s at 50 ms mean latency."""
    throughput, latency_s = 2000.0, 0.050
    return throughput * latency_s


def littles_law_simulated(device):
    """Time-average number of requests in a system with Poisson arrivals (2000/s) and exponential
    50 ms sojourn times (infinite servers), measured by simulation over 20 s."""
    rng = np.random.default_rng(0)
    lam, w, horizon = 2000.0, 0.050, 20.0
    arrivals = np.cumsum(rng.exponential(1 / lam, int(lam * horizon * 1.1)))
    arrivals = arrivals[arrivals < horizon]
    departures = arrivals + rng.exponential(w, arrivals.size)
    # area under N(t) on [1, horizon - 1] (skip warm-up and tail)
    a, b = 1.0, horizon - 1.0
    overlap = np.clip(np.minimum(departures, b) - np.maximum(arrivals, a), 0, None)
    return float(overlap.sum() / (b - a))


def replicas_needed(device):
    """Peak 5000 req/s, one replica sustains 600 req/s, run replicas at <= 70% utilisation."""
    peak, per_replica, target_util = 5000, 600, 0.7
    return math.ceil(peak / (per_replica * target_util))


def _mm1_latency_ms(device, util=0.8):
    """Mean time in an M/M/1 system with 10 ms mean service time at the given utilisation."""
    service = 10.0
    mu = 1 / service
    lam = util * mu
    return 1 / (mu - lam)


def mm1_latency_ms_80(device):
    return _mm1_latency_ms(device, 0.8)


def mm1_latency_ms_90(device):
    return _mm1_latency_ms(device, 0.9)


def mm1_latency_simulated_80(device):
    """Lindley recursion for an M/M/1 queue at utilisation 0.8 (10 ms service), 200k customers."""
    rng = np.random.default_rng(1)
    n = 200_000
    inter = rng.exponential(12.5, n)
    service = rng.exponential(10.0, n)
    wait = np.empty(n)
    w = 0.0
    for i in range(n):
        wait[i] = w
        w = max(0.0, w + service[i] - inter[i + 1 if i + 1 < n else i])
    return float((wait + service)[10_000:].mean())


# ---------------------------------------------------------------- batching

def _batch_ms(b):
    """Batch latency model: 5 ms fixed cost + 0.5 ms per request."""
    return 5.0 + 0.5 * b


def _batch_throughput(device, b):
    return b / (_batch_ms(b) / 1000)


def batch1_throughput(device):
    return _batch_throughput(device, 1)


def batch32_throughput(device):
    return _batch_throughput(device, 32)


def batch32_speedup(device):
    return _batch_throughput(device, 32) / _batch_throughput(device, 1)


def batch32_latency_ms(device):
    return _batch_ms(32)


def _simulate_dynamic_batching(rate=1000.0, max_batch=16, max_wait_ms=2.0, n=20_000, seed=0):
    """One worker. A batch is ready when max_batch requests wait or the oldest has waited max_wait_ms;
    it starts when the worker is free and takes everything that has arrived, up to max_batch.
    Returns (mean latency ms, p99 latency ms, mean batch size)."""
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1000.0 / rate, n))
    latency, sizes, free_at, i = np.empty(n), [], 0.0, 0
    while i < n:
        ready = arrivals[i] + max_wait_ms
        if i + max_batch - 1 < n:
            ready = min(ready, arrivals[i + max_batch - 1])
        start = max(free_at, ready)
        j = min(int(np.searchsorted(arrivals, start, side="right")), i + max_batch)
        free_at = start + _batch_ms(j - i)
        latency[i:j] = free_at - arrivals[i:j]
        sizes.append(j - i)
        i = j
    return float(latency.mean()), float(np.percentile(latency, 99)), float(np.mean(sizes))


def dynamic_batching_mean_batch(device):
    return _simulate_dynamic_batching()[2]


def dynamic_batching_mean_latency(device):
    return _simulate_dynamic_batching()[0]


def no_batching_utilisation(device):
    """Serving 1000 req/s one at a time with 5.5 ms per request needs 5.5 workers' worth of time."""
    return 1000.0 * _batch_ms(1) / 1000


# ---------------------------------------------------------------- tail latency

def fanout_slow_probability(device):
    """P(at least one of 100 parallel backend calls hits its 1% slow tail) (Dean & Barroso, 2013)."""
    rng = np.random.default_rng(0)
    slow = rng.random((200_000, 100)) < 0.01
    exact = 1 - 0.99 ** 100
    sim = slow.any(axis=1).mean()
    assert abs(sim - exact) < 0.01
    return exact


# ---------------------------------------------------------------- A/B test

def _ab_sample_size(device, p1=0.10, p2=0.11, alpha=0.05, power=0.80):
    """Per-group sample size for a two-sided two-proportion z-test (normal approximation, unpooled)."""
    z = NormalDist()
    za, zb = z.inv_cdf(1 - alpha / 2), z.inv_cdf(power)
    var = p1 * (1 - p1) + p2 * (1 - p2)
    return math.ceil((za + zb) ** 2 * var / (p2 - p1) ** 2)


def ab_sample_size_10_11(device):
    return _ab_sample_size(device)


def ab_sample_size_half_effect(device):
    """Same baseline, half the effect (10% -> 10.5%)."""
    return _ab_sample_size(device, 0.10, 0.105)


def ab_z_values(device):
    z = NormalDist()
    return (z.inv_cdf(0.975), z.inv_cdf(0.80))


def ab_days_needed(device):
    """Days to reach the 10% -> 11% sample size with 20,000 eligible users a day split 50/50."""
    return math.ceil(2 * _ab_sample_size(device) / 20_000)


# ---------------------------------------------------------------- monitoring

def psi_example(device):
    """Population stability index between expected bins (0.25 each) and actual (0.1, 0.2, 0.3, 0.4)."""
    e = np.array([0.25, 0.25, 0.25, 0.25])
    a = np.array([0.1, 0.2, 0.3, 0.4])
    return float(((a - e) * np.log(a / e)).sum())


# ---------------------------------------------------------------- caching and Kafka

def cache_mean_latency_ms(device):
    """80% hits at 1 ms, misses at 20 ms model inference."""
    hit, t_hit, t_miss = 0.8, 1.0, 20.0
    return hit * t_hit + (1 - hit) * t_miss


def kafka_partitions(device):
    """Partitions for 120 MB/s when one consumer handles 15 MB/s, with 50% headroom."""
    return math.ceil(120 / 15 * 1.5)

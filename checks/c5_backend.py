"""Checks for the data-pipeline and operations questions of chapter 18: replay catch-up time, shuffle
partitions, delayed labels, canary exposure, model size against GPU memory."""

import math

from checks.c5_llm_quant import llama2_70b_fp16_gb


def kappa_replay_days(device):
    """Replaying 30 days of log while new data keeps arriving: backlog / (processing rate - input rate),
    with processing at 5 times the input rate."""
    backlog_days, speed = 30, 5
    return backlog_days / (speed - 1)


def spark_shuffle_partitions(device):
    """200 GB of shuffle data at about 128 MiB per partition."""
    return math.ceil(200e9 / (128 * 2 ** 20))


def label_delay_missed_share(device):
    """Conversions with exponentially distributed delay, mean 24 h, and a 1 h waiting window: share of
    positives that arrive too late, exp(-1/24)."""
    return math.exp(-1 / 24)


def canary_failed_requests(device):
    """1000 requests/s, a bad version failing 2% of requests for 10 minutes: at 1% canary and at 100%."""
    qps, fail, seconds = 1000, 0.02, 600
    return qps * 0.01 * fail * seconds, qps * 1.0 * fail * seconds


def llama2_70b_min_gpus_fp16(device):
    """Weights alone (about 138 GB in FP16) over 80 GB GPUs."""
    return math.ceil(llama2_70b_fp16_gb(device) / 80)

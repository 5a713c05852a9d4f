"""Checks for the self-supervised and contrastive learning questions of chapter 11."""

import math

import numpy as np
import torch
import torch.nn.functional as F


def infonce_uniform_loss_256(device):
    """InfoNCE with one positive among N = 256 candidates, all similarities equal: cross-entropy of zero logits."""
    logits = torch.zeros(1, 256, dtype=torch.float64)
    return float(F.cross_entropy(logits, torch.tensor([0])))


def infonce_mi_lower_bound_example(device):
    """I(x; c) >= log N - L for N = 256 and a measured loss L = 2.0."""
    return math.log(256) - 2.0


def _ntxent_negative_mask(n):
    """Mask of the negatives of each anchor in a SimCLR batch of n images (2n views)."""
    idx = torch.arange(2 * n)
    positive = (idx.unsqueeze(1) == ((idx + n) % (2 * n)).unsqueeze(0))
    self_pair = torch.eye(2 * n, dtype=torch.bool)
    return ~(positive | self_pair)


def simclr_negatives_per_anchor_4096(device):
    """Negatives per anchor at batch 4096: counted on a small batch, then the same 2N - 2 rule at N = 4096."""
    small = 8
    per_anchor = _ntxent_negative_mask(small).sum(1)
    assert bool((per_anchor == 2 * small - 2).all())
    return 2 * 4096 - 2


def simclr_logit_entries_4096(device):
    """Entries of the 2N x 2N similarity matrix at N = 4096."""
    return (2 * 4096) ** 2


def moco_queue_mib(device):
    """MoCo queue: 65,536 keys of dimension 128 in float32, in MiB."""
    q = torch.empty(65536, 128, dtype=torch.float32, device="meta")
    return q.numel() * q.element_size() / 2**20


def _ema_horizon(m):
    k = np.arange(200000)
    return float(np.sum((1 - m) * m ** k * (k + 1)))


def moco_ema_horizon_0999(device):
    """Mean age (in steps, counting the current one as 1) of the weights averaged by an EMA with m = 0.999: 1/(1 - m)."""
    return _ema_horizon(0.999)


def byol_ema_horizon_0996(device):
    return _ema_horizon(0.996)


def dino_sharpening_max_prob(device):
    """Largest probability of softmax([0.1, 0.05, 0]) at temperature 0.04 (teacher) and 0.1 (student)."""
    z = torch.tensor([0.1, 0.05, 0.0], dtype=torch.float64)
    return (float(torch.softmax(z / 0.04, 0).max()), float(torch.softmax(z / 0.1, 0).max()))


def clip_logit_entries_32768(device):
    return 32768 ** 2


def clip_chance_loss_32768(device):
    logits = torch.zeros(1, 32768, dtype=torch.float64)
    return float(F.cross_entropy(logits, torch.tensor([0])))


def clip_initial_logit_scale(device):
    """CLIP initialises the temperature at 0.07, i.e. a logit scale of 1/0.07."""
    return 1 / 0.07


def mae_patch_counts(device):
    """ViT-B/16 at 224x224: number of patches, patches kept at 75% masking."""
    n = (224 // 16) ** 2
    keep = int(n * (1 - 0.75))
    return (n, keep)


def mae_encoder_attention_fraction(device):
    """Self-attention cost of the encoder on the visible tokens relative to all tokens: (49/196)^2."""
    n, keep = mae_patch_counts(device)
    return (keep / n) ** 2


def pipeline_success_four_stages(device):
    """Probability that four independent stages, each right 95% of the time, are all right."""
    p = np.full(4, 0.95)
    return float(np.prod(p))


def linear_probe_params_vitb(device):
    """A linear classifier on ViT-B's 768-d features for the 1000 ImageNet classes, built on the meta device."""
    head = torch.nn.Linear(768, 1000, device="meta")
    return sum(p.numel() for p in head.parameters())

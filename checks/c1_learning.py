"""Checks for the new questions of chapters 1-3: information theory for contrastive learning, calibration,
learning with noisy labels, graph neural networks and adversarial robustness.

Closed forms are evaluated here, small models are counted from torch.nn modules on the meta device.
"""

import math

import numpy as np
import torch
from torch import nn


# ---------------------------------------------------------------- entropy, KL, mutual information, InfoNCE

_P = np.array([0.5, 0.25, 0.25])
_Q = np.array([0.25, 0.5, 0.25])


def _bits(x):
    return float(x) / math.log(2)


def entropy_ce_kl_bits(device):
    """H(p), H(p, q) and KL(p || q) in bits for p = (1/2, 1/4, 1/4), q = (1/4, 1/2, 1/4)."""
    h = -(_P * np.log(_P)).sum()
    ce = -(_P * np.log(_Q)).sum()
    kl = (_P * np.log(_P / _Q)).sum()
    return _bits(h), _bits(ce), _bits(kl)


def infonce_bound_nats(device):
    """log N, the largest mutual information InfoNCE can certify with N = 4096 candidates (one positive)."""
    return math.log(4096)



def mi_binary_channel_bits(device):
    """I(X; Y) for X uniform on {0, 1} sent through a channel that flips it with probability 0.1: 1 -
    H2(0.1).
    """
    e = 0.1
    return 1 + e * math.log2(e) + (1 - e) * math.log2(1 - e)


def kl_gaussians_both_directions(device):
    """KL(N(0,1) || N(1,4)) and KL(N(1,4) || N(0,1)) in nats: the two directions differ."""
    def kl(m1, v1, m2, v2):
        return 0.5 * (math.log(v2 / v1) + (v1 + (m1 - m2) ** 2) / v2 - 1)
    return kl(0, 1, 1, 4), kl(1, 4, 0, 1)


# ---------------------------------------------------------------- calibration

def temperature_softened_confidence(device):
    """Top-class probability of logits (4, 1, 0) at temperature 1 and at temperature 2."""
    z = torch.tensor([4.0, 1.0, 0.0])
    return torch.softmax(z, 0)[0].item(), torch.softmax(z / 2, 0)[0].item()


def ece_two_bins(device):
    """ECE of a toy model: 60 samples at confidence 0.9 with 45 right, 40 at 0.6 with 30 right."""
    bins = [(60, 0.9, 45 / 60), (40, 0.6, 30 / 40)]
    n = sum(b[0] for b in bins)
    return sum(cnt / n * abs(acc - conf) for cnt, conf, acc in bins)


# ---------------------------------------------------------------- noisy labels

def symmetric_noise_matrix_entries(device):
    """Diagonal and off-diagonal entries of the symmetric noise transition matrix, K = 10, noise rate 0.4."""
    k, rate = 10, 0.4
    t = np.full((k, k), rate / (k - 1))
    np.fill_diagonal(t, 1 - rate)
    return float(t[0, 0]), float(t[0, 1])


def symmetric_noise_clean_majority_limit(device):
    """Largest symmetric noise rate at which the true class stays the most frequent label, K = 10: (K-1)/K."""
    k = 10
    return (k - 1) / k


def gce_weight(device):
    """Weight p^q that the generalized cross-entropy (q = 0.7) puts on a sample with p_y = 0.01,
    relative to CE.
    """
    return 0.01 ** 0.7


def coteaching_keep_fraction(device):
    """Fraction of each mini-batch co-teaching keeps at epoch 5 and from epoch 10 on (tau = 0.4, T_k = 10)."""
    tau, tk = 0.4, 10
    return 1 - tau * min(5 / tk, 1), 1 - tau * min(10 / tk, 1)


# ---------------------------------------------------------------- graph neural networks

def gcn_cora_params(device):
    """Two-layer GCN of Kipf & Welling (2017) on Cora: 1433 -> 16 -> 7, weights and biases."""
    with torch.device("meta"):
        layers = nn.ModuleList([nn.Linear(1433, 16), nn.Linear(16, 7)])
    return sum(p.numel() for p in layers.parameters())


def gat_cora_first_layer_params(device):
    """First GAT layer on Cora (Velickovic et al., 2018): 8 heads of 8 features, W and the attention
    vector a.
    """
    heads, f_in, f_out = 8, 1433, 8
    return heads * (f_in * f_out + 2 * f_out)


def graphsage_sampled_nodes(device):
    """Nodes touched to compute one target with GraphSAGE fan-outs 25 (hop 1) and 10 (hop 2), target
    included.
    """
    return 1 + 25 + 25 * 10


def graph_full_neighbourhood(device):
    """Nodes within two hops when every node has 50 neighbours and no neighbourhoods overlap: 1 + 50 +
    50^2.
    """
    return 1 + 50 + 50 ** 2


# ---------------------------------------------------------------- adversarial robustness

def fgsm_linear_logit_shift(device):
    """Logit change w . (eps * sign(w)) = eps * ||w||_1 for a 3x224x224 input, eps = 1/255, mean |w_i|
    = 0.01.
    """
    n = 3 * 224 * 224
    return n * (1 / 255) * 0.01


def input_dimension_224(device):
    return 3 * 224 * 224


def pgd_training_cost_factor(device):
    """Forward-backward passes per step of PGD-7 adversarial training relative to standard training: 7 + 1."""
    return 7 + 1


def randomized_smoothing_radius(device):
    """Certified L2 radius sigma * Phi^-1(p_A) of Cohen et al. (2019) for sigma = 0.25, p_A = 0.9."""
    phi_inv = math.sqrt(2) * torch.special.erfinv(torch.tensor(2 * 0.9 - 1, dtype=torch.float64)).item()
    return 0.25 * phi_inv


def eps_8_255(device):
    return 8 / 255


# ---------------------------------------------------------------- feed-forward blocks

def ffn_params_4096(device):
    """A bias-free Transformer MLP, d = 4096 -> 4d -> d (two matrices)."""
    with torch.device("meta"):
        mlp = nn.Sequential(nn.Linear(4096, 4 * 4096, bias=False), nn.Linear(4 * 4096, 4096, bias=False))
    return sum(p.numel() for p in mlp.parameters())


def swiglu_params_4096(device):
    """A bias-free SwiGLU MLP as in LLaMA-7B, d = 4096, hidden 11008 (three matrices: gate, up, down)."""
    with torch.device("meta"):
        mats = [nn.Linear(4096, 11008, bias=False), nn.Linear(4096, 11008, bias=False),
                nn.Linear(11008, 4096, bias=False)]
    return sum(p.numel() for m in mats for p in m.parameters())


# ---------------------------------------------------------------- Monte Carlo

def gauss_tail_3(device):
    """P(X > 3) for X ~ N(0, 1)."""
    return 0.5 * math.erfc(3 / math.sqrt(2))


def ppo_clip_range(device):
    """The ratio interval PPO's clipped objective allows with epsilon = 0.2."""
    return 1 - 0.2, 1 + 0.2


# ---------------------------------------------------------------- metric learning

def triplet_losses_margin_02(device):
    """FaceNet triplet loss max(0, d_ap^2 - d_an^2 + 0.2) with d_ap^2 = 1 and d_an^2 = 4, 1.1, 0.5."""
    return tuple(max(0.0, 1.0 - dn + 0.2) for dn in (4.0, 1.1, 0.5))


def batch_hard_triplet_count(device):
    """Valid (anchor, positive, negative) triplets in a P x K batch, P = 18 identities, K = 4 images each."""
    p, k = 18, 4
    return p * k * (k - 1) * (p - 1) * k


def arcface_logit_at_60_degrees(device):
    """ArcFace's target logit s * cos(theta + m) versus s * cos(theta) at theta = 60 degrees, s = 64,
    m = 0.5.
    """
    theta = math.radians(60)
    return 64 * math.cos(theta + 0.5), 64 * math.cos(theta)


# ---------------------------------------------------------------- uncertainty and OOD scores

def msp_and_energy_for_shifted_logits(device):
    """Max softmax probability and energy -logsumexp(z) for z = (5, 4, 0) and for the same logits minus 4."""
    out = []
    for z in (torch.tensor([5.0, 4.0, 0.0]), torch.tensor([1.0, 0.0, -4.0])):
        out += [torch.softmax(z, 0).max().item(), -torch.logsumexp(z, 0).item()]
    return tuple(out)

"""Checks for chapter 7 additions: diffusion, VAE, flow matching, guidance, latent diffusion, DiT, evaluation."""

import math

import numpy as np
import torch


def cfg_nfe_50_steps(device):
    """Network evaluations for 50 sampling steps with classifier-free guidance (conditional + unconditional pass)."""
    return 50 * 2



def vae_kl_gauss_example(device):
    """KL(N(1, 0.5^2) || N(0, 1)) by numerical integration on a grid (closed form 0.5(mu^2+s^2-1-ln s^2) = 0.818)."""
    x = np.linspace(-12.0, 12.0, 480001)
    dx = x[1] - x[0]
    q = np.exp(-0.5 * ((x - 1.0) / 0.5) ** 2) / (0.5 * np.sqrt(2 * np.pi))
    p = np.exp(-0.5 * x ** 2) / np.sqrt(2 * np.pi)
    m = q > 1e-300
    return float(np.sum(q[m] * (np.log(q[m]) - np.log(p[m]))) * dx)


def vae_reparam_grad_mu(device):
    """d/dmu E[z^2], z = mu + sigma*eps, mu = 1.5, sigma = 0.5: the reparameterised Monte-Carlo estimate (exact: 2 mu = 3)."""
    g = torch.Generator().manual_seed(0)
    mu = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    eps = torch.randn(200000, generator=g, dtype=torch.float64)
    ((mu + 0.5 * eps) ** 2).mean().backward()
    return float(mu.grad)


def _linear_betas(T=1000):
    return np.linspace(1e-4, 0.02, T, dtype=np.float64)


def ddpm_sqrt_alpha_bar_T(device):
    """sqrt(alpha_bar_T) for the linear schedule of Ho et al. (2020), beta 1e-4..0.02, T = 1000."""
    return float(np.sqrt(np.prod(1 - _linear_betas())))


def ddpm_chain_matches_closed_form(device):
    """Largest gap between the step-by-step moments of q(x_t|x_0) and the closed form (sqrt(ab) x0, 1 - ab), over all t."""
    betas = _linear_betas()
    mean_coef, var = 1.0, 0.0
    ab = np.cumprod(1 - betas)
    gap = 0.0
    for t, b in enumerate(betas):
        mean_coef *= np.sqrt(1 - b)
        var = (1 - b) * var + b
        gap = max(gap, abs(mean_coef - np.sqrt(ab[t])), abs(var - (1 - ab[t])))
    return float(gap)


def ddpm_snr_t500(device):
    """Signal-to-noise ratio alpha_bar / (1 - alpha_bar) at t = 500 of the linear schedule."""
    ab = np.cumprod(1 - _linear_betas())[499]
    return float(ab / (1 - ab))


def ddim_speedup_1000_to_50(device):
    """Network evaluations saved by sampling a T = 1000 model with a 50-step DDIM sub-sequence."""
    return 1000 / 50


def gaussian_score_example(device):
    """Score d/dx log N(x; 0, 0.5^2) at x = 1 by autograd (closed form -(x - mu)/sigma^2 = -4)."""
    x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    logp = torch.distributions.Normal(0.0, 0.5).log_prob(x)
    logp.backward()
    return float(x.grad)


def cfg_w_from_scale(device):
    """Ho & Salimans' guidance weight w for the diffusers/Stable Diffusion guidance scale s = 7.5 (s = 1 + w)."""
    return 7.5 - 1


def ldm_compression_f8(device):
    """Ratio of values: a 512x512x3 image over its f = 8, 4-channel latent (64x64x4)."""
    return (512 * 512 * 3) / ((512 // 8) * (512 // 8) * 4)


def ldm_positions_f8(device):
    """Spatial positions the U-Net processes: pixel space over latent space at f = 8."""
    return (512 * 512) / (64 * 64)


def dit_tokens_256_p2(device):
    """DiT tokens for a 256x256 image: f = 8 latent 32x32, patch size 2."""
    return (256 // 8 // 2) ** 2


def _dit_params(depth=28, d=1152, patch=2, c_in=4, learn_sigma=True, n_classes=1000, freq_dim=256):
    from torch import nn
    with torch.device("meta"):
        block = nn.ModuleList([nn.Linear(d, 3 * d), nn.Linear(d, d), nn.Linear(d, 4 * d), nn.Linear(4 * d, d),
                               nn.Linear(d, 6 * d)])
        per_block = sum(p.numel() for p in block.parameters())
        c_out = 2 * c_in if learn_sigma else c_in
        final = nn.ModuleList([nn.Linear(d, 2 * d), nn.Linear(d, patch * patch * c_out)])
        embed = nn.ModuleList([nn.Conv2d(c_in, d, patch, patch), nn.Linear(freq_dim, d), nn.Linear(d, d),
                               nn.Embedding(n_classes + 1, d)])
    return depth * per_block + sum(p.numel() for p in final.parameters()) + sum(p.numel() for p in embed.parameters())


def dit_xl2_params(device):
    """Parameters of DiT-XL/2 (28 blocks, width 1152, adaLN-Zero, patch 2, 1000 classes + null), built on meta."""
    return _dit_params()


def fm_linear_path_var_midpoint(device):
    """Variance at t = 0.5 of x_t = (1-t) x0 + t x1 with independent x0, x1 ~ N(0,1): (1-t)^2 + t^2, by sampling."""
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn(1_000_000, generator=g, dtype=torch.float64)
    x1 = torch.randn(1_000_000, generator=g, dtype=torch.float64)
    return float((0.5 * x0 + 0.5 * x1).var())


def _fid_same_gaussian(n, d=64, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, d))
    b = rng.standard_normal((n, d))

    def sqrtm_psd(m):
        w, v = np.linalg.eigh(m)
        return (v * np.sqrt(np.clip(w, 0, None))) @ v.T

    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    r = sqrtm_psd(s1)
    tr = np.trace(sqrtm_psd(r @ s2 @ r))
    return float(np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(s1) + np.trace(s2) - 2 * tr)


def fid_bias_n1000(device):
    """FID between two independent 1,000-sample sets from the same 64-d standard normal (true FID 0)."""
    return _fid_same_gaussian(1000)


def fid_bias_n10000(device):
    """The same with 10,000 samples per set: the bias shrinks roughly as 1/N."""
    return _fid_same_gaussian(10000)


def clip_score_example(device):
    """CLIP score (Hessel et al., 2021 form used by text-to-image papers): 100 * max(cos, 0) for cos = 0.31."""
    img = torch.tensor([0.31, (1 - 0.31 ** 2) ** 0.5], dtype=torch.float64)
    txt = torch.tensor([1.0, 0.0], dtype=torch.float64)
    return float(100 * torch.clamp(torch.nn.functional.cosine_similarity(img, txt, dim=0), min=0))


def consistency_boundary(device):
    """(c_skip, c_out) of Song et al. (2023) at t = eps = 0.002, sigma_data = 0.5: the boundary condition f(x, eps) = x."""
    eps, sd, t = 0.002, 0.5, 0.002
    c_skip = sd ** 2 / ((t - eps) ** 2 + sd ** 2)
    c_out = sd * (t - eps) / math.sqrt(sd ** 2 + t ** 2)
    return (c_skip, c_out)


def vqvae_code_bits_32x32_k512(device):
    """Bits to store a 32x32 grid of VQ-VAE codes from a 512-entry codebook: 1024 * log2(512)."""
    return 32 * 32 * math.log2(512)


def vqvae_compression_256(device):
    """Raw 8-bit 256x256 RGB image bits over the bits of its 32x32, K = 512 code grid."""
    return (256 * 256 * 3 * 8) / vqvae_code_bits_32x32_k512(device)


def _lora_params(d_in, d_out, r):
    return r * (d_in + d_out)


def textual_inversion_params_sd15(device):
    """Parameters Textual Inversion learns for one concept in SD 1.x: one token embedding of CLIP ViT-L/14 (768)."""
    with torch.device("meta"):
        emb = torch.nn.Embedding(49408, 768)
    return emb.weight.shape[1]


def lora_r4_params_768_320(device):
    """LoRA rank-4 parameters for a 768 -> 320 cross-attention key projection (SD 1.5, first block): r (d_in + d_out)."""
    return _lora_params(768, 320, 4)


def lora_r4_share_768_320(device):
    """The same LoRA as a share of the full 768 x 320 projection's weights."""
    return _lora_params(768, 320, 4) / (768 * 320)

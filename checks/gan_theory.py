"""Checks for generative adversarial networks (chapter 7): GAN optimum, divergences, W1, FID, IS, DCGAN, StyleGAN."""

import numpy as np
import torch
from torch import nn


def _grid():
    x = np.linspace(-10.0, 10.0, 200001)
    return x, x[1] - x[0]


def _normal_pdf(x, mu, sigma):
    return np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))


def _value(p_data, p_g, dx):
    """V(D*, G) = E_data[log D*] + E_g[log(1 - D*)], D* = p_data / (p_data + p_g), integrated on a grid."""
    d = p_data / (p_data + p_g)
    m1 = p_data > 0
    m2 = p_g > 0
    return (np.sum(p_data[m1] * np.log(d[m1])) + np.sum(p_g[m2] * np.log(1 - d[m2]))) * dx


def optimal_d_when_equal(device):
    """D*(x) = p_data / (p_data + p_g) at a point where p_g = p_data."""
    x, _ = _grid()
    p = _normal_pdf(x, 0.0, 1.0)
    return float((p / (p + p))[100000])


def gan_optimum_value(device):
    """V(D*, G*) with p_g = p_data: -log 4."""
    x, dx = _grid()
    p = _normal_pdf(x, 0.0, 1.0)
    return float(_value(p, p, dx))


def gan_value_mismatch(device):
    """V(D*, G) for p_data = N(0,1), p_g = N(1,1): -log 4 + 2 JS > -log 4."""
    x, dx = _grid()
    return float(_value(_normal_pdf(x, 0.0, 1.0), _normal_pdf(x, 1.0, 1.0), dx))


def js_disjoint(device):
    """JS divergence of two distributions with disjoint supports (uniform on [0,1] vs [2,3])."""
    x, dx = _grid()
    p = ((x >= 0) & (x <= 1)).astype(float)
    q = ((x >= 2) & (x <= 3)).astype(float)
    p /= p.sum() * dx
    q /= q.sum() * dx
    m = 0.5 * (p + q)
    kl = lambda a: np.sum(a[a > 0] * np.log(a[a > 0] / m[a > 0])) * dx
    return float(0.5 * kl(p) + 0.5 * kl(q))


def _sigmoid_grads(d_value):
    logit = torch.logit(torch.tensor(d_value, dtype=torch.float64)).requires_grad_(True)
    torch.log(1 - torch.sigmoid(logit)).backward()
    sat = logit.grad.abs().item()
    logit.grad = None
    (-torch.log(torch.sigmoid(logit))).backward()
    return sat, logit.grad.abs().item()


def saturating_grad(device):
    """|d log(1 - D) / d logit| when D(G(z)) = 0.01: equals D."""
    return _sigmoid_grads(0.01)[0]


def nonsaturating_grad(device):
    """|d (-log D) / d logit| when D(G(z)) = 0.01: equals 1 - D."""
    return _sigmoid_grads(0.01)[1]


def w1_discrete_example(device):
    """W1 between P = (0.4, 0.3, 0.2, 0.1) and uniform Q on {0,1,2,3}: sum |F_P - F_Q|, cross-checked by sorting samples."""
    p = np.array([0.4, 0.3, 0.2, 0.1])
    q = np.full(4, 0.25)
    w_cdf = np.abs(np.cumsum(p) - np.cumsum(q))[:-1].sum()
    # the same value from 1-D optimal transport: match sorted quantiles
    n = 1000
    xs_p = np.repeat(np.arange(4), (p * n).astype(int))
    xs_q = np.repeat(np.arange(4), (q * n).astype(int))
    w_ot = np.abs(np.sort(xs_p) - np.sort(xs_q)).mean()
    assert abs(w_cdf - w_ot) < 1e-9
    return float(w_cdf)


def w1_gaussians(device):
    """W1 between N(0,1) and N(1, 2^2) by the quantile integral of |F^-1 - G^-1|."""
    u = (np.arange(200000) + 0.5) / 200000
    z = torch.special.ndtri(torch.tensor(u, dtype=torch.float64)).numpy()
    return float(np.mean(np.abs(z - (1 + 2 * z))))


def w1_parallel_lines(device):
    """W1 between a point mass at 0 and one at theta = 0.5 (the WGAN paper's parallel-lines example)."""
    theta = 0.5
    return float(np.abs(np.array([0.0]) - np.array([theta])).mean())


def _sqrtm_psd(a):
    w, v = np.linalg.eigh(a)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def _fid_gaussians(mu1, s1, mu2, s2):
    r = _sqrtm_psd(s1)
    covmean_tr = np.trace(_sqrtm_psd(r @ s2 @ r))
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * covmean_tr)


def fid_example(device):
    """FID between N((0,0), I) and N((1,1), diag(4,1))."""
    return _fid_gaussians(np.zeros(2), np.eye(2), np.ones(2), np.diag([4.0, 1.0]))


def fid_example_mean_term(device):
    return float(np.sum((np.zeros(2) - np.ones(2)) ** 2))


def inception_score_ideal(device):
    """IS of 1000 samples, confident and spread evenly over 10 classes: exp(E KL(p(y|x) || p(y)))."""
    n, k = 1000, 10
    pyx = np.full((n, k), 1e-12)
    pyx[np.arange(n), np.arange(n) % k] = 1.0
    pyx /= pyx.sum(1, keepdims=True)
    py = pyx.mean(0)
    return float(np.exp(np.mean(np.sum(pyx * (np.log(pyx) - np.log(py)), axis=1))))


def inception_score_collapsed(device):
    """IS when every sample is classified confidently as the same class."""
    n, k = 1000, 10
    pyx = np.full((n, k), 1e-12)
    pyx[:, 3] = 1.0
    pyx /= pyx.sum(1, keepdims=True)
    py = pyx.mean(0)
    return float(np.exp(np.mean(np.sum(pyx * (np.log(pyx) - np.log(py)), axis=1))))


def _dcgan_generator(nz=100, ngf=64):
    return nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
        nn.ConvTranspose2d(ngf, 3, 4, 2, 1, bias=False), nn.Tanh())


def dcgan_output_shape(device):
    """Output (C, H, W) of the DCGAN generator (about 3.6M parameters) for one 100-d noise vector."""
    torch.manual_seed(0)
    with torch.no_grad():
        g = _dcgan_generator().eval()
        y = g(torch.randn(1, 100, 1, 1))
    return tuple(y.shape[1:])


def dcgan_first_upsample(device):
    """Spatial size after ConvTranspose2d(k=4, s=2, p=1) on a 4x4 map: (4-1)*2 - 2 + 4."""
    with torch.no_grad():
        y = nn.ConvTranspose2d(8, 8, 4, 2, 1)(torch.zeros(1, 8, 4, 4))
    return y.shape[-1]


def stylegan_mapping_params(device):
    """Parameters of StyleGAN's mapping network: 8 fully connected layers 512 -> 512."""
    with torch.device("meta"):
        layers = [nn.Linear(512, 512) for _ in range(8)]
    return sum(p.numel() for layer in layers for p in layer.parameters())


def _receptive_field(layers):
    """Receptive field of a stack of (kernel, stride) layers: 1 + sum (k - 1) * prod(previous strides)."""
    rf, jump = 1, 1
    for k, s in layers:
        rf += (k - 1) * jump
        jump *= s
    return rf


def patchgan_receptive_field(device):
    """pix2pix 70x70 PatchGAN: 4x4 convs with strides 2, 2, 2, 1 and a final 4x4 stride-1 output conv."""
    return _receptive_field([(4, 2), (4, 2), (4, 2), (4, 1), (4, 1)])


def progan_stages(device):
    """Resolutions visited by progressive growing from 4x4 to 1024x1024 (doubling each stage)."""
    r, n = 4, 1
    while r < 1024:
        r *= 2
        n += 1
    return n


def gda_bilinear_radius(device):
    """Simultaneous gradient descent-ascent on min_x max_y xy from (1, 1), lr 0.1, 100 steps: |(x, y)| / |(x0, y0)|."""
    x, y, lr = 1.0, 1.0, 0.1
    r0 = np.hypot(x, y)
    for _ in range(100):
        x, y = x - lr * y, y + lr * x
    return float(np.hypot(x, y) / r0)


def nonsaturating_to_saturating_ratio(device):
    """Ratio of the two generator-loss gradient magnitudes at D(G(z)) = 0.01: (1 - D) / D = 99."""
    sat, nonsat = _sigmoid_grads(0.01)
    return nonsat / sat

"""Checks for chapter 5 additions: squeeze-and-excitation, CBAM, structural re-parameterization."""

import torch
from torch import nn


def _count(m):
    return sum(p.numel() for p in m.parameters())


def _se(c, r=16):
    with torch.device("meta"):
        return nn.Sequential(nn.Linear(c, c // r), nn.ReLU(), nn.Linear(c // r, c), nn.Sigmoid())


def se_params_256_r16(device):
    """Parameters of an SE block (Hu et al., 2018) on 256 channels, reduction 16, with biases."""
    return _count(_se(256))


def se_resnet50_extra_params(device):
    """Parameters SE blocks (r = 16) add to ResNet-50: one per bottleneck, on its 4x-expanded output channels."""
    stages = [(3, 256), (4, 512), (6, 1024), (3, 2048)]
    return sum(n * _count(_se(c)) for n, c in stages)


def cbam_spatial_params(device):
    """Parameters of CBAM's spatial attention (Woo et al., 2018): a 7x7 convolution from 2 pooled maps to 1, no bias."""
    with torch.device("meta"):
        return _count(nn.Conv2d(2, 1, 7, padding=3, bias=False))


def cbam_params_256_r16(device):
    """Parameters of a whole CBAM module on 256 channels: the shared channel MLP (as in SE) plus the spatial conv."""
    return se_params_256_r16(device) + cbam_spatial_params(device)


def se_resnet50_param_increase(device):
    """SE blocks' extra parameters as a share of ResNet-50's own parameter count."""
    from checks.classic_nets import resnet50_params
    return se_resnet50_extra_params(device) / resnet50_params(device)


def alexnet_over_lenet_params(device):
    """AlexNet's parameter count over LeNet-5's (modern version): the jump in scale between 1998 and 2012."""
    from checks.classic_nets import alexnet_params, lenet5_modern_params
    return alexnet_params(device) / lenet5_modern_params(device)


def _repvgg_block_params(c):
    with torch.device("meta"):
        train = nn.ModuleList([nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c),
                               nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c), nn.BatchNorm2d(c)])
        infer = nn.Conv2d(c, c, 3, padding=1, bias=True)
    return _count(train), _count(infer)


def repvgg_train_params_64(device):
    """Trainable parameters of a RepVGG block at 64 channels during training: 3x3 + BN, 1x1 + BN, identity BN."""
    return _repvgg_block_params(64)[0]


def repvgg_infer_params_64(device):
    """Parameters of the same block after re-parameterization: one 3x3 convolution with a bias."""
    return _repvgg_block_params(64)[1]


def repvgg_merge_max_error(device):
    """Largest gap between the three-branch block (BN in eval mode) and the merged 3x3 convolution, float64."""
    import torch.nn.functional as F
    g = torch.Generator().manual_seed(0)
    c = 8
    w3 = torch.randn(c, c, 3, 3, generator=g, dtype=torch.float64)
    w1 = torch.randn(c, c, 1, 1, generator=g, dtype=torch.float64)
    stats = [tuple(torch.rand(c, generator=g, dtype=torch.float64) + 0.5 for _ in range(4)) for _ in range(3)]

    def bn(y, s):
        gamma, beta, mean, var = s
        return (y - mean[:, None, None]) / (var[:, None, None] + 1e-5).sqrt() * gamma[:, None, None] + beta[:, None, None]

    def fuse(k, s):
        gamma, beta, mean, var = s
        std = (var + 1e-5).sqrt()
        return k * (gamma / std)[:, None, None, None], beta - mean * gamma / std

    kid = torch.zeros(c, c, 3, 3, dtype=torch.float64)
    kid[range(c), range(c), 1, 1] = 1
    parts = [fuse(w3, stats[0]), fuse(F.pad(w1, [1, 1, 1, 1]), stats[1]), fuse(kid, stats[2])]
    x = torch.randn(2, c, 12, 12, generator=g, dtype=torch.float64)
    y_train = bn(F.conv2d(x, w3, padding=1), stats[0]) + bn(F.conv2d(x, w1), stats[1]) + bn(x, stats[2])
    y_infer = F.conv2d(x, sum(k for k, _ in parts), sum(b for _, b in parts), padding=1)
    return float((y_train - y_infer).abs().max())

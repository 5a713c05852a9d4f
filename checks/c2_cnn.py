"""Checks for chapter 5 additions: squeeze-and-excitation, CBAM, ConvNeXt blocks."""

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


def _convnext_block(c):
    with torch.device("meta"):
        return nn.ModuleDict({
            "dwconv": nn.Conv2d(c, c, 7, padding=3, groups=c),
            "norm": nn.LayerNorm(c),
            "pw1": nn.Linear(c, 4 * c),
            "pw2": nn.Linear(4 * c, c),
            "gamma": nn.ParameterDict({"g": nn.Parameter(torch.ones(c))}),
        })


def convnext_block_params_96(device):
    """Parameters of one ConvNeXt block (Liu et al., 2022) at width 96: 7x7 depthwise, LN, 1x1 expand 4x, layer scale."""
    return _count(_convnext_block(96))


def convnext_dw_share_96(device):
    """Share of the block's parameters held by the 7x7 depthwise convolution at width 96."""
    blk = _convnext_block(96)
    return _count(blk["dwconv"]) / _count(blk)


def resnet_basic_block_params_96(device):
    """For comparison: two dense 3x3 convolutions 96 -> 96 without bias (a ResNet basic block's convs)."""
    with torch.device("meta"):
        return 2 * _count(nn.Conv2d(96, 96, 3, padding=1, bias=False))


def se_resnet50_param_increase(device):
    """SE blocks' extra parameters as a share of ResNet-50's own parameter count."""
    from checks.classic_nets import resnet50_params
    return se_resnet50_extra_params(device) / resnet50_params(device)


def alexnet_over_lenet_params(device):
    """AlexNet's parameter count over LeNet-5's (modern version): the jump in scale between 1998 and 2012."""
    from checks.classic_nets import alexnet_params, lenet5_modern_params
    return alexnet_params(device) / lenet5_modern_params(device)

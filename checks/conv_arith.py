"""Checks for convolution arithmetic (chapter 5): output sizes, parameters, MACs, receptive fields."""

import torch
from torch import nn
import torch.nn.functional as F

from checks import on


def _out_hw(layer, size, cin):
    with torch.no_grad():
        return layer(torch.empty(1, cin, size, size, device="meta")).shape[-1]


def _w(layer):
    return layer.weight.numel()


def _params(layer):
    return sum(p.numel() for p in layer.parameters())


# ---------------------------------------------------------------- output sizes

def conv_out_32_k5(device):
    """32x32 input, 5x5 kernel, stride 1, no padding."""
    with torch.device("meta"):
        return _out_hw(nn.Conv2d(1, 1, 5), 32, 1)


def conv_out_224_k7_s2_p3(device):
    with torch.device("meta"):
        return _out_hw(nn.Conv2d(3, 64, 7, stride=2, padding=3), 224, 3)


def conv_out_227_k11_s4(device):
    with torch.device("meta"):
        return _out_hw(nn.Conv2d(3, 96, 11, stride=4), 227, 3)


def conv_out_224_k11_s4(device):
    """224 input with an 11x11/4 kernel and no padding: (224-11)/4 is not an integer, floor is taken."""
    with torch.device("meta"):
        return _out_hw(nn.Conv2d(3, 96, 11, stride=4), 224, 3)


def dilated_effective_kernel(device):
    """Effective extent of a 3x3 kernel with dilation 2: d(k-1)+1, read off an output size."""
    with torch.device("meta"):
        out = _out_hw(nn.Conv2d(1, 1, 3, dilation=2), 32, 1)
    return 32 - out + 1


def dilated_stack_rf(device):
    """Receptive field of three 3x3 convolutions with dilations 1, 2, 4 (Yu & Koltun, 2016)."""
    return _rf([(3, 1, 1), (3, 1, 2), (3, 1, 4)])


def transposed_out_4_k4_s2_p1(device):
    with torch.device("meta"):
        return _out_hw(nn.ConvTranspose2d(1, 1, 4, stride=2, padding=1), 4, 1)


def transposed_out_7_k3_s2_p1(device):
    with torch.device("meta"):
        return _out_hw(nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1), 7, 1)


def transposed_out_7_k3_s2_p1_op1(device):
    with torch.device("meta"):
        return _out_hw(nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=1), 7, 1)


def maxpool_out_112_k3_s2_p1(device):
    with torch.device("meta"):
        return _out_hw(nn.MaxPool2d(3, 2, 1), 112, 1)


def maxpool_floor_ceil_6_k3_s2(device):
    with torch.device("meta"):
        return (_out_hw(nn.MaxPool2d(3, 2), 6, 1), _out_hw(nn.MaxPool2d(3, 2, ceil_mode=True), 6, 1))


def spp_output_length(device):
    """SPP with 1x1, 2x2 and 4x4 bins on 256 maps: a fixed length for any input size (He et al., 2014)."""
    lengths = set()
    for hw in (13, 10, 17):
        x = torch.zeros(1, 256, hw, hw)
        feats = [F.adaptive_max_pool2d(x, n).flatten(1) for n in (1, 2, 4)]
        lengths.add(torch.cat(feats, 1).shape[1])
    assert len(lengths) == 1
    return lengths.pop()


# ---------------------------------------------------------------- parameters and cost

def conv3x3_64_128_params(device):
    with torch.device("meta"):
        return _params(nn.Conv2d(64, 128, 3))


def conv3x3_64_128_macs_56(device):
    """MACs of a 3x3 conv, 64 -> 128 channels, padding 1, on a 56x56 map: H_out W_out C_out K^2 C_in."""
    with torch.device("meta"):
        conv = nn.Conv2d(64, 128, 3, padding=1)
        out = conv(torch.empty(1, 64, 56, 56))
    return out.numel() * conv.kernel_size[0] * conv.kernel_size[1] * conv.in_channels // conv.groups


def conv3x3_64_128_flops_56(device):
    return 2 * conv3x3_64_128_macs_56(device)


def local_vs_full(device):
    """32x32x3 input to a 28x28x6 output: a 5x5 conv layer vs a fully connected layer (weights + biases)."""
    with torch.device("meta"):
        conv = nn.Conv2d(3, 6, 5)
        out = conv(torch.empty(1, 3, 32, 32))
        fc = nn.Linear(3 * 32 * 32, out[0].numel())
    return _params(fc), _params(conv)


def local_unshared_params(device):
    """Locally connected layer (5x5 windows, no weight sharing) for the same 32x32x3 -> 28x28x6 mapping."""
    with torch.device("meta"):
        conv = nn.Conv2d(3, 6, 5)
        out_hw = conv(torch.empty(1, 3, 32, 32)).shape[-1]
    return out_hw * out_hw * _params(conv)


def depthwise_separable_ratio(device):
    """Cost of depthwise (3x3) + pointwise vs a standard 3x3 conv, 128 -> 256 channels (equals 1/N + 1/D_K^2)."""
    with torch.device("meta"):
        std = _w(nn.Conv2d(128, 256, 3, bias=False))
        sep = _w(nn.Conv2d(128, 128, 3, groups=128, bias=False)) + _w(nn.Conv2d(128, 256, 1, bias=False))
    return sep / std


def depthwise_separable_weights(device):
    with torch.device("meta"):
        std = _w(nn.Conv2d(128, 256, 3, bias=False))
        sep = _w(nn.Conv2d(128, 128, 3, groups=128, bias=False)) + _w(nn.Conv2d(128, 256, 1, bias=False))
    return std, sep


def grouped_conv_weights(device):
    """3x3 conv, 128 -> 256 channels: groups 1, 4, 32 (weights only)."""
    with torch.device("meta"):
        return tuple(_w(nn.Conv2d(128, 256, 3, groups=g, bias=False)) for g in (1, 4, 32))


def conv3d_vs_2d_weights(device):
    """3x3x3 conv 64 -> 64 (3D) vs 3x3 conv 64 -> 64 (2D), weights only."""
    with torch.device("meta"):
        return _w(nn.Conv3d(64, 64, 3, bias=False)), _w(nn.Conv2d(64, 64, 3, bias=False))


def conv3d_out_shape(device):
    """A 16-frame 112x112 RGB clip through a 3x3x3 conv (padding 1) then 1x2x2 pooling, as in C3D's first stage."""
    with torch.device("meta"):
        m = nn.Sequential(nn.Conv3d(3, 64, 3, padding=1), nn.MaxPool3d((1, 2, 2)))
        return tuple(m(torch.empty(1, 3, 16, 112, 112)).shape[1:])


def conv1x1_params(device):
    """1x1 conv, 256 -> 64 channels, with bias."""
    with torch.device("meta"):
        return _params(nn.Conv2d(256, 64, 1))


def bottleneck_saving(device):
    """3x3 conv 256->256 vs 1x1 256->64, 3x3 64->64, 1x1 64->256 (weights): fraction saved."""
    with torch.device("meta"):
        direct = _w(nn.Conv2d(256, 256, 3, bias=False))
        bott = (_w(nn.Conv2d(256, 64, 1, bias=False)) + _w(nn.Conv2d(64, 64, 3, bias=False))
                + _w(nn.Conv2d(64, 256, 1, bias=False)))
    return 1 - bott / direct


def bottleneck_weights(device):
    with torch.device("meta"):
        direct = _w(nn.Conv2d(256, 256, 3, bias=False))
        bott = (_w(nn.Conv2d(256, 64, 1, bias=False)) + _w(nn.Conv2d(64, 64, 3, bias=False))
                + _w(nn.Conv2d(64, 256, 1, bias=False)))
    return direct, bott


# ---------------------------------------------------------------- receptive fields

def _rf(layers):
    """layers: (kernel, stride, dilation) from input to output. Standard recursion r += (k_eff - 1) * jump."""
    r, jump = 1, 1
    for k, s, d in layers:
        r += (d * (k - 1)) * jump
        jump *= s
    return r


def _rf_by_gradient(layers, size=64):
    """Receptive field measured: which input pixels influence the centre output (all-ones weights)."""
    mods = [nn.Conv2d(1, 1, k, s, dilation=d, bias=False) for k, s, d in layers]
    for m in mods:
        nn.init.ones_(m.weight)
    x = torch.zeros(1, 1, size, size, requires_grad=True)
    y = nn.Sequential(*mods)(x)
    c = y.shape[-1] // 2
    y[0, 0, c, c].backward()
    rows = (x.grad[0, 0].abs().sum(1) > 0).nonzero()
    return int(rows.max() - rows.min() + 1)


def rf_stacked_3x3(device):
    """Receptive field of two and of three stacked 3x3 stride-1 convs, measured by backprop."""
    return _rf_by_gradient([(3, 1, 1)] * 2), _rf_by_gradient([(3, 1, 1)] * 3)


def stacked_3x3_saving(device):
    """Weights saved, C channels in and out: two 3x3 vs one 5x5, and three 3x3 vs one 7x7."""
    c = 64
    with torch.device("meta"):
        k3 = _w(nn.Conv2d(c, c, 3, bias=False))
        return 1 - 2 * k3 / _w(nn.Conv2d(c, c, 5, bias=False)), 1 - 3 * k3 / _w(nn.Conv2d(c, c, 7, bias=False))


def vgg16_rf(device):
    """Receptive field of VGG-16's pool5 output: 13 3x3/1 convs and 5 2x2/2 pools."""
    cfg = [2, 2, 3, 3, 3]
    layers = []
    for n in cfg:
        layers += [(3, 1, 1)] * n + [(2, 2, 1)]
    return _rf(layers)


def rf_example_net(device):
    """conv3x3/1 -> conv3x3/2 -> conv3x3/1 -> conv3x3/2 -> conv3x3/1: formula and gradient agree."""
    layers = [(3, 1, 1), (3, 2, 1), (3, 1, 1), (3, 2, 1), (3, 1, 1)]
    a, b = _rf(layers), _rf_by_gradient(layers)
    assert a == b
    return a


def checkerboard_ratio(device):
    """Transposed conv k=3, s=2 with all-ones weights on an all-ones input: max/min overlap count in the interior."""
    up = nn.ConvTranspose2d(1, 1, 3, stride=2, bias=False)
    nn.init.ones_(up.weight)
    with torch.no_grad():
        y = up(torch.ones(1, 1, 8, 8))[0, 0, 2:-2, 2:-2]
    return (y.max() / y.min()).item()


def checkerboard_ratio_k4_s2(device):
    up = nn.ConvTranspose2d(1, 1, 4, stride=2, bias=False)
    nn.init.ones_(up.weight)
    with torch.no_grad():
        y = up(torch.ones(1, 1, 8, 8))[0, 0, 3:-3, 3:-3]
    return (y.max() / y.min()).item()


# ---------------------------------------------------------------- devices

@on("cpu", "cuda")
def seeded_conv_sum(device):
    """Sum of a seeded 3x3 conv (16 -> 32 channels) over a seeded 2x16x32x32 input, computed on `device`.

    Weights and input are drawn on the CPU so both devices see the same numbers; the sum is a float64 scalar.
    """
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 16, 32, 32, generator=g)
    w = torch.randn(32, 16, 3, 3, generator=g) / 12
    y = F.conv2d(x.to(device), w.to(device), padding=1)
    return y.double().abs().sum().item()


"""Checks for the classic networks of chapter 4 (LeNet-5, AlexNet, VGG, GoogLeNet, ResNet, ResNeXt, DenseNet).

Every model is rebuilt here in plain torch.nn on the meta device (no torchvision), and the numbers are
counted from the modules, never typed in.
"""

import torch
from torch import nn


def _count(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _macs(model, shape):
    """Multiply-accumulates of conv and linear layers for one input of `shape` (a meta forward pass)."""
    total = 0

    def hook(mod, inp, out):
        nonlocal total
        if isinstance(mod, nn.Conv2d):
            k = mod.kernel_size[0] * mod.kernel_size[1] * mod.in_channels // mod.groups
            total += out.numel() * k
        elif isinstance(mod, nn.Linear):
            total += out.numel() * mod.in_features

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        model(torch.empty(*shape, device="meta"))
    for h in handles:
        h.remove()
    return total


# ---------------------------------------------------------------- LeNet-5

# LeCun et al. (1998), Table I: which of the 6 S2 maps feed each of the 16 C3 maps.
_C3_TABLE = [
    [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [0, 4, 5], [0, 1, 5],
    [0, 1, 2, 3], [1, 2, 3, 4], [2, 3, 4, 5], [0, 3, 4, 5], [0, 1, 4, 5], [0, 1, 2, 5],
    [0, 1, 3, 4], [1, 2, 4, 5], [0, 2, 3, 5],
    [0, 1, 2, 3, 4, 5],
]


def lenet5_c3_params(device):
    """Trainable parameters of the classic C3 layer: 5x5 kernels only on the connected input maps + one bias each."""
    mask = torch.zeros(16, 6)
    for out_map, inputs in enumerate(_C3_TABLE):
        mask[out_map, inputs] = 1
    with torch.device("meta"):
        conv = nn.Conv2d(6, 16, 5)
    per_kernel = conv.weight.shape[2] * conv.weight.shape[3]
    return int(mask.sum().item()) * per_kernel + conv.bias.numel()


def lenet5_c3_full_params(device):
    """The same layer with every C3 map connected to all 6 S2 maps."""
    with torch.device("meta"):
        return _count(nn.Conv2d(6, 16, 5))


def _lenet5_modern():
    with torch.device("meta"):
        return nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
            nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, 10),
        )


def lenet5_modern_params(device):
    return _count(_lenet5_modern())


def lenet5_fc_share(device):
    """Share of the modern LeNet-5's parameters that sit in the three fully connected layers."""
    return _fc_share(_lenet5_modern())


# ---------------------------------------------------------------- AlexNet

def _alexnet():
    with torch.device("meta"):
        return nn.Sequential(
            nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
            nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.AdaptiveAvgPool2d(6), nn.Flatten(),
            nn.Dropout(), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
            nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(),
            nn.Linear(4096, 1000),
        )


def alexnet_params(device):
    return _count(_alexnet())


def alexnet_fc_share(device):
    return _fc_share(_alexnet())


def _fc_share(model) -> float:
    """Share of a Sequential model's parameters that sit in its fully connected layers."""
    return sum(_count(x) for x in model if isinstance(x, nn.Linear)) / _count(model)


def alexnet_fc6_params(device):
    m = _alexnet()
    return _count([x for x in m if isinstance(x, nn.Linear)][0])


def alexnet_macs(device):
    return _macs(_alexnet(), (1, 3, 224, 224))


# ---------------------------------------------------------------- VGG

_VGG_CFG = {
    16: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    19: [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


def _vgg(depth):
    layers, c = [], 3
    with torch.device("meta"):
        for v in _VGG_CFG[depth]:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU()]
                c = v
        layers += [nn.Flatten(), nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(),
                   nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(), nn.Linear(4096, 1000)]
        return nn.Sequential(*layers)


def vgg16_params(device):
    return _count(_vgg(16))


def vgg19_params(device):
    return _count(_vgg(19))


def vgg16_fc_share(device):
    m = _vgg(16)
    return sum(_count(x) for x in m if isinstance(x, nn.Linear)) / _count(m)


def vgg16_macs(device):
    return _macs(_vgg(16), (1, 3, 224, 224))


def vgg_stack3_vs_7x7(device):
    """Weights (no bias) of three stacked 3x3 conv layers vs one 7x7 layer, C=512 channels in and out: ratio."""
    c = 512
    with torch.device("meta"):
        three = sum(nn.Conv2d(c, c, 3, bias=False).weight.numel() for _ in range(3))
        one = nn.Conv2d(c, c, 7, bias=False).weight.numel()
    return three / one


# ---------------------------------------------------------------- NiN / GoogLeNet / Inception

class _Inception(nn.Module):
    """GoogLeNet (Szegedy et al., 2015) inception module: 1x1 | 1x1-3x3 | 1x1-5x5 | pool-1x1."""

    def __init__(self, cin, c1, c3r, c3, c5r, c5, cp, naive=False):
        super().__init__()
        if naive:
            self.b = nn.ModuleList([nn.Conv2d(cin, c1, 1), nn.Conv2d(cin, c3, 3, padding=1),
                                    nn.Conv2d(cin, c5, 5, padding=2), nn.MaxPool2d(3, 1, 1)])
        else:
            self.b = nn.ModuleList([
                nn.Conv2d(cin, c1, 1),
                nn.Sequential(nn.Conv2d(cin, c3r, 1), nn.ReLU(), nn.Conv2d(c3r, c3, 3, padding=1)),
                nn.Sequential(nn.Conv2d(cin, c5r, 1), nn.ReLU(), nn.Conv2d(c5r, c5, 5, padding=2)),
                nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.Conv2d(cin, cp, 1)),
            ])

    def forward(self, x):
        return torch.cat([b(x) for b in self.b], 1)


def inception3a_params(device):
    with torch.device("meta"):
        return _count(_Inception(192, 64, 96, 128, 16, 32, 32))


def inception3a_macs(device):
    with torch.device("meta"):
        return _macs(_Inception(192, 64, 96, 128, 16, 32, 32), (1, 192, 28, 28))


def inception3a_naive_macs(device):
    """Same output widths (64/128/32) without the 1x1 reductions; the pool branch passes 192 maps through."""
    with torch.device("meta"):
        return _macs(_Inception(192, 64, 0, 128, 0, 32, 0, naive=True), (1, 192, 28, 28))


def inception3a_out_channels(device):
    with torch.device("meta"):
        m = _Inception(192, 64, 96, 128, 16, 32, 32)
        return m(torch.empty(1, 192, 28, 28)).shape[1]


def factorize_5x5_saving(device):
    """Inception-v3: a 5x5 conv replaced by two 3x3 convs (same width): fraction of weights saved."""
    with torch.device("meta"):
        five = nn.Conv2d(64, 64, 5, bias=False).weight.numel()
        two = 2 * nn.Conv2d(64, 64, 3, bias=False).weight.numel()
    return 1 - two / five


def factorize_asym_saving(device):
    """Inception-v3: a 3x3 conv replaced by 1x3 followed by 3x1: fraction of weights saved."""
    with torch.device("meta"):
        three = nn.Conv2d(64, 64, 3, bias=False).weight.numel()
        asym = (nn.Conv2d(64, 64, (1, 3), bias=False).weight.numel()
                + nn.Conv2d(64, 64, (3, 1), bias=False).weight.numel())
    return 1 - asym / three


def gap_vs_fc_params(device):
    """Classifier head on a 7x7x512 map for 1000 classes: flatten+Linear vs global average pooling+Linear."""
    with torch.device("meta"):
        fc = _count(nn.Linear(512 * 7 * 7, 1000))
        gap = _count(nn.Linear(512, 1000))
    return fc, gap


# ---------------------------------------------------------------- ResNet / ResNeXt

class _Basic(nn.Module):
    expansion = 1

    def __init__(self, cin, width, stride=1, groups=1, base_width=64):
        super().__init__()
        cout = width
        self.body = nn.Sequential(
            nn.Conv2d(cin, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width))
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        s = x if self.down is None else self.down(x)
        return torch.relu(self.body(x) + s)


class _Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, planes, stride=1, groups=1, base_width=64):
        super().__init__()
        width = int(planes * base_width / 64) * groups
        cout = planes * 4
        self.body = nn.Sequential(
            nn.Conv2d(cin, width, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, width, 3, stride, 1, groups=groups, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        s = x if self.down is None else self.down(x)
        return torch.relu(self.body(x) + s)


def _resnet(block, layers, groups=1, base_width=64):
    with torch.device("meta"):
        mods = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
        cin = 64
        for i, n in enumerate(layers):
            planes = 64 * 2 ** i
            for j in range(n):
                stride = 2 if (i > 0 and j == 0) else 1
                mods.append(block(cin, planes, stride, groups, base_width))
                cin = planes * block.expansion
        mods += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, 1000)]
        return nn.Sequential(*mods)


def resnet18_params(device):
    return _count(_resnet(_Basic, [2, 2, 2, 2]))


def resnet34_params(device):
    return _count(_resnet(_Basic, [3, 4, 6, 3]))


def resnet50_params(device):
    return _count(_resnet(_Bottleneck, [3, 4, 6, 3]))


def resnet101_params(device):
    return _count(_resnet(_Bottleneck, [3, 4, 23, 3]))


def resnet50_macs(device):
    return _macs(_resnet(_Bottleneck, [3, 4, 6, 3]), (1, 3, 224, 224))


def resnext50_32x4d_params(device):
    return _count(_resnet(_Bottleneck, [3, 4, 6, 3], groups=32, base_width=4))


def bottleneck_vs_basic_256(device):
    """Conv weights of one block on 256 channels: bottleneck 256-64-64-256 vs two plain 3x3 convs 256->256."""
    with torch.device("meta"):
        bott = (nn.Conv2d(256, 64, 1, bias=False).weight.numel() + nn.Conv2d(64, 64, 3, bias=False).weight.numel()
                + nn.Conv2d(64, 256, 1, bias=False).weight.numel())
        basic = 2 * nn.Conv2d(256, 256, 3, bias=False).weight.numel()
    return bott, basic


def resnext_block_vs_resnet_block(device):
    """Conv weights: ResNeXt block 256-(32x4d)-256 vs ResNet bottleneck 256-64-256 (Xie et al., 2017, Fig. 1)."""
    with torch.device("meta"):
        rx = (nn.Conv2d(256, 128, 1, bias=False).weight.numel()
              + nn.Conv2d(128, 128, 3, groups=32, bias=False).weight.numel()
              + nn.Conv2d(128, 256, 1, bias=False).weight.numel())
        rn = (nn.Conv2d(256, 64, 1, bias=False).weight.numel() + nn.Conv2d(64, 64, 3, bias=False).weight.numel()
              + nn.Conv2d(64, 256, 1, bias=False).weight.numel())
    return rx, rn


# ---------------------------------------------------------------- DenseNet

class _DenseLayer(nn.Module):
    def __init__(self, cin, growth, bn_size=4):
        super().__init__()
        self.f = nn.Sequential(
            nn.BatchNorm2d(cin), nn.ReLU(), nn.Conv2d(cin, bn_size * growth, 1, bias=False),
            nn.BatchNorm2d(bn_size * growth), nn.ReLU(), nn.Conv2d(bn_size * growth, growth, 3, 1, 1, bias=False))

    def forward(self, x):
        return torch.cat([x, self.f(x)], 1)


def _densenet(blocks=(6, 12, 24, 16), growth=32, init=64):
    with torch.device("meta"):
        mods = [nn.Conv2d(3, init, 7, 2, 3, bias=False), nn.BatchNorm2d(init), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
        c = init
        for i, n in enumerate(blocks):
            for _ in range(n):
                mods.append(_DenseLayer(c, growth))
                c += growth
            if i != len(blocks) - 1:
                mods += [nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, c // 2, 1, bias=False), nn.AvgPool2d(2, 2)]
                c //= 2
        mods += [nn.BatchNorm2d(c), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, 1000)]
        return nn.Sequential(*mods), c


def densenet121_params(device):
    return _count(_densenet()[0])


def densenet121_final_channels(device):
    return _densenet()[1]


def densenet_block1_out_channels(device):
    """Channels leaving the first dense block of DenseNet-121: 64 + 6 * 32."""
    m = _densenet()[0]
    with torch.no_grad():
        x = torch.empty(1, 3, 224, 224, device="meta")
        n = 0
        for layer in m:
            x = layer(x)
            if isinstance(layer, _DenseLayer):
                n += 1
                if n == 6:
                    return x.shape[1]


def vgg16_conv_params(device):
    m = _vgg(16)
    return sum(_count(x) for x in m if isinstance(x, nn.Conv2d))


def vgg16_fc6_params(device):
    m = _vgg(16)
    return _count([x for x in m if isinstance(x, nn.Linear)][0])


def vgg16_fp32_bytes(device):
    """Size of VGG-16's weights stored as float32, in bytes."""
    return vgg16_params(device) * torch.finfo(torch.float32).bits // 8


def vgg19_macs(device):
    return _macs(_vgg(19), (1, 3, 224, 224))


def vgg19_minus_vgg16(device):
    return vgg19_params(device) - vgg16_params(device)


def vgg16_over_resnet50_macs(device):
    return vgg16_macs(device) / resnet50_macs(device)


_GOOGLENET_INCEPTIONS = [
    (192, 64, 96, 128, 16, 32, 32), (256, 128, 128, 192, 32, 96, 64), "M",
    (480, 192, 96, 208, 16, 48, 64), (512, 160, 112, 224, 24, 64, 64), (512, 128, 128, 256, 24, 64, 64),
    (512, 112, 144, 288, 32, 64, 64), (528, 256, 160, 320, 32, 128, 128), "M",
    (832, 256, 160, 320, 32, 128, 128), (832, 384, 192, 384, 48, 128, 128),
]


def googlenet_params(device):
    """GoogLeNet as in Szegedy et al. (2015), Table 1, without BN and without the auxiliary classifiers."""
    with torch.device("meta"):
        mods = [nn.Conv2d(3, 64, 7, 2, 3), nn.ReLU(), nn.MaxPool2d(3, 2, 1),
                nn.Conv2d(64, 64, 1), nn.ReLU(), nn.Conv2d(64, 192, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
        for cfg in _GOOGLENET_INCEPTIONS:
            mods.append(nn.MaxPool2d(3, 2, 1) if cfg == "M" else _Inception(*cfg))
        mods += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.4), nn.Linear(1024, 1000)]
        return _count(nn.Sequential(*mods))


def _alexnet_over_googlenet_params(device):
    return alexnet_params(device) / googlenet_params(device)

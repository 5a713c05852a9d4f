"""Checks for image segmentation (chapter 9): pixel accuracy, mIoU, Dice, PQ, dilated convs, ASPP, U-Net, PSPNet."""

import math

import numpy as np
import torch
from torch import nn

GT = np.array([[0, 0, 1, 1],
               [0, 0, 1, 1],
               [0, 2, 2, 1],
               [2, 2, 2, 2]])
PRED = np.array([[0, 0, 1, 1],
                 [0, 1, 1, 1],
                 [0, 2, 2, 2],
                 [2, 2, 2, 0]])


def _confusion(gt, pred, k):
    return np.bincount(k * gt.ravel() + pred.ravel(), minlength=k * k).reshape(k, k)


def _ious(gt=GT, pred=PRED, k=3):
    cm = _confusion(gt, pred, k)
    inter = np.diag(cm)
    return inter / (cm.sum(0) + cm.sum(1) - inter)


def pixel_accuracy_example(device):
    return float((GT == PRED).mean())


def per_class_iou_example(device):
    return tuple(float(v) for v in _ious())


def miou_example(device):
    return float(_ious().mean())


def dice_per_class_example(device):
    cm = _confusion(GT, PRED, 3)
    inter = np.diag(cm)
    return tuple(float(v) for v in 2 * inter / (cm.sum(0) + cm.sum(1)))


def mean_dice_example(device):
    return float(np.mean(dice_per_class_example(device)))


def dice_from_iou_half(device):
    """Dice = 2 IoU / (1 + IoU) at IoU = 0.5, checked on two masks whose IoU is exactly 0.5."""
    a = np.zeros(4, bool)
    a[0:2] = True
    b = np.zeros(4, bool)
    b[0:1] = True  # overlap 1, union 2 -> IoU 0.5
    iou = (a & b).sum() / (a | b).sum()
    dice = 2 * (a & b).sum() / (a.sum() + b.sum())
    assert abs(dice - 2 * iou / (1 + iou)) < 1e-12
    return float(dice)


def _out_size(n, k, d, p, s=1):
    with torch.no_grad():
        conv = nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d)
        return conv(torch.zeros(1, 1, n, n)).shape[-1]


def dilated_out_nopad(device):
    """64x64 input, 3x3 conv, dilation 2, padding 0, stride 1."""
    return _out_size(64, 3, 2, 0)


def dilated_out_same(device):
    """Same with padding 2: the size is kept."""
    return _out_size(64, 3, 2, 2)


def _effective_kernel(k, d):
    """Support of the impulse response of one dilated conv, measured with autograd."""
    x = torch.zeros(1, 1, 1, 64, dtype=torch.float64, requires_grad=True)
    conv = nn.Conv2d(1, 1, (1, k), dilation=(1, d), bias=False).double()
    nn.init.constant_(conv.weight, 1.0)
    y = conv(x)
    y[0, 0, 0, y.shape[-1] // 2].backward()
    nz = torch.nonzero(x.grad[0, 0, 0]).flatten()
    return int(nz.max() - nz.min() + 1)


def dilated_effective_kernel(device):
    return _effective_kernel(3, 2)


def aspp_effective_kernels(device):
    """Effective kernel sizes of 3x3 convs with ASPP rates 6, 12, 18 (DeepLabv3)."""
    return tuple(_effective_kernel(3, r) for r in (6, 12, 18))


def aspp_v2_effective_kernels(device):
    """DeepLabv2 ASPP-L rates 6, 12, 18, 24."""
    return tuple(_effective_kernel(3, r) for r in (6, 12, 18, 24))


def _stack_rf(rates, k=3):
    x = torch.zeros(1, 1, 1, 128, dtype=torch.float64, requires_grad=True)
    y = x
    for r in rates:
        conv = nn.Conv2d(1, 1, (1, k), dilation=(1, r), bias=False).double()
        nn.init.constant_(conv.weight, 1.0)
        y = conv(y)
    y[0, 0, 0, y.shape[-1] // 2].backward()
    g = x.grad[0, 0, 0]
    nz = torch.nonzero(g).flatten()
    return int(nz.max() - nz.min() + 1), int((g != 0).sum())


def stacked_dilation_rf(device):
    """Receptive field of three 3x3 convs with dilations 1, 2, 4."""
    return _stack_rf((1, 2, 4))[0]


def gridding_rf_and_coverage(device):
    """Three 3x3 convs all with dilation 2: receptive field and how many of its pixels are actually used (1-D)."""
    return _stack_rf((2, 2, 2))


def _side(layer, n):
    """Spatial side after one layer, from the layer's own kernel/stride/padding/dilation (PyTorch's formulas)."""
    if isinstance(layer, nn.Sequential):
        for m in layer:
            n = _side(m, n)
        return n
    if isinstance(layer, nn.ConvTranspose2d):
        k, s, p = layer.kernel_size[0], layer.stride[0], layer.padding[0]
        return (n - 1) * s - 2 * p + layer.dilation[0] * (k - 1) + 1
    if isinstance(layer, (nn.Conv2d, nn.MaxPool2d)):
        k, s, p, d = (layer.kernel_size, layer.stride, layer.padding, layer.dilation)
        k, s, p, d = (v[0] if isinstance(v, tuple) else v for v in (k, s, p, d))
        return (n + 2 * p - d * (k - 1) - 1) // s + 1
    return n


def unet_output_size(device):
    """Output side of the original U-Net (valid 3x3 convs, 2x2 max pooling, 2x2 up-convs) for a 572x572 input.

    The layers are built on the meta device and the side is propagated through them with PyTorch's size formulas;
    skip connections are center-cropped to the decoder's size, so they do not change it."""
    def block(c_in, c_out):
        return nn.Sequential(nn.Conv2d(c_in, c_out, 3), nn.ReLU(), nn.Conv2d(c_out, c_out, 3), nn.ReLU())
    with torch.device("meta"):
        chans = [1, 64, 128, 256, 512, 1024]
        downs = [block(chans[i], chans[i + 1]) for i in range(5)]
        ups = [nn.ConvTranspose2d(chans[i + 1], chans[i], 2, stride=2) for i in range(4, 0, -1)]
        dec = [block(chans[i + 1], chans[i]) for i in range(4, 0, -1)]
    n = 572
    for i, b in enumerate(downs):
        n = _side(b, n)
        if i < 4:
            n = _side(nn.MaxPool2d(2), n)
    for up, b in zip(ups, dec):
        n = _side(b, _side(up, n))
    return n


def unet_bottleneck_size(device):
    """Spatial side at the U-Net bottleneck (after the 5th double conv) for a 572 input."""
    n = 572
    for i in range(5):
        n -= 4
        if i < 4:
            n //= 2
    return n


def psp_pooled_cells(device):
    """Pyramid pooling bins 1, 2, 3, 6: total pooled cells per channel."""
    x = torch.zeros(1, 1, 60, 60)
    return sum(nn.AdaptiveAvgPool2d(b)(x).numel() for b in (1, 2, 3, 6))


def psp_concat_channels(device):
    """2048-channel input + four branches reduced to 2048/4 channels each."""
    with torch.device("meta"):
        branches = [nn.Conv2d(2048, 2048 // 4, 1) for _ in range(4)]
    return 2048 + sum(b.out_channels for b in branches)


def _resnet_side(n, dilate_from):
    """Side of a ResNet feature map: stem conv s2, maxpool s2, then stages 2-4 with stride 2 unless dilated."""
    with torch.no_grad():
        x = torch.zeros(1, 1, n, n)
        x = nn.Conv2d(1, 1, 7, 2, 3)(x)
        x = nn.MaxPool2d(3, 2, 1)(x)
        for stage in (2, 3, 4):
            s = 1 if stage >= dilate_from else 2
            x = nn.Conv2d(1, 1, 3, s, 1)(x)
    return x.shape[-1]


def deeplab_os16_side(device):
    """513x513 input, output stride 16 (stage 4 dilated)."""
    return _resnet_side(513, dilate_from=4)


def deeplab_os8_side(device):
    """513x513 input, output stride 8 (stages 3 and 4 dilated)."""
    return _resnet_side(513, dilate_from=3)


def deeplab_os32_side(device):
    return _resnet_side(513, dilate_from=5)


def transposed_conv_out(device):
    """ConvTranspose2d(k=4, s=2, p=1) on a 16x16 map."""
    with torch.no_grad():
        return nn.ConvTranspose2d(1, 1, 4, 2, 1)(torch.zeros(1, 1, 16, 16)).shape[-1]


def fcn32_upsample_out(device):
    """FCN-32s final upsampling ConvTranspose2d(k=64, s=32, p=16) on a 7x7 score map (224 input)."""
    with torch.no_grad():
        return nn.ConvTranspose2d(1, 1, 64, 32, 16)(torch.zeros(1, 1, 7, 7)).shape[-1]


def mask_rcnn_mask_shape(device):
    """Mask R-CNN FPN mask head: 14x14 RoI features, 4 convs, deconv x2, 1x1 conv to K = 80 classes."""
    torch.manual_seed(0)
    with torch.no_grad():
        head = nn.Sequential(*[m for _ in range(4) for m in (nn.Conv2d(256, 256, 3, padding=1), nn.ReLU())],
                             nn.ConvTranspose2d(256, 256, 2, 2), nn.ReLU(), nn.Conv2d(256, 80, 1))
        y = head(torch.zeros(1, 256, 14, 14))
    return tuple(y.shape[1:])


def panoptic_quality_example(device):
    """PQ of one class: matched IoUs 0.9, 0.8, 0.6 (TP), 1 FP, 2 FN."""
    ious = np.array([0.9, 0.8, 0.6])
    tp, fp, fn = len(ious), 1, 2
    sq = ious.mean()
    rq = tp / (tp + 0.5 * fp + 0.5 * fn)
    return float(sq * rq)


def panoptic_sq_rq(device):
    ious = np.array([0.9, 0.8, 0.6])
    tp, fp, fn = len(ious), 1, 2
    return float(ious.mean()), float(tp / (tp + 0.5 * fp + 0.5 * fn))


def segnet_index_bits(device):
    """Bits needed to store one max-pooling index for a 2x2 window."""
    return math.ceil(math.log2(2 * 2))

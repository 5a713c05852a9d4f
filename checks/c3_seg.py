"""Checks for chapter 9 (segmentation) questions."""

import torch
from torch import nn


def deeplab_largefov_fc6_weights(device):
    """DeepLab-LargeFOV fc6: a 3x3 kernel over 512 channels into 1024 (Chen et al., 2015)."""
    return 3 * 3 * 512 * 1024


def _vgg_fc6_weights(device):
    """VGG16's fc6 seen as a 7x7 convolution over 512 channels into 4096."""
    return 7 * 7 * 512 * 4096


def deeplab_largefov_fc6_ratio(device):
    return _vgg_fc6_weights(device) / deeplab_largefov_fc6_weights(device)


def deeplab_largefov_effective_kernel(device):
    """A 3x3 kernel with dilation 12 spans 2*12+1 cells."""
    k, r = 3, 12
    return (k - 1) * r + 1



def sam_image_embedding(device):
    """SAM image embedding: 256 channels on a 64 x 64 grid (1024 input, patch 16): (elements, MiB in float32)."""
    emb = torch.empty(1, 256, 1024 // 16, 1024 // 16, device="meta")
    return (emb.numel(), emb.numel() * 4 / 2**20)


def sam_vit_h_block_params(device):
    """Parameters of the 32 transformer blocks of ViT-H (width 1280, MLP 5120), built on the meta device."""
    with torch.device("meta"):
        block = nn.TransformerEncoderLayer(1280, 16, dim_feedforward=5120, batch_first=True)
    return 32 * sum(p.numel() for p in block.parameters())


def sam_global_attention_pairs_ratio(device):
    """Attention pairs of one global layer over 64x64 tokens versus one 14x14-window layer (padded to 70x70)."""
    tokens = 64 * 64
    windows = (70 // 14) ** 2
    return tokens ** 2 / (windows * (14 * 14) ** 2)


def mask2former_point_samples(device):
    return 112 * 112


def mask2former_point_saving(device):
    """Mask entries per query at 1/4 resolution of a 1024x1024 image versus 112x112 sampled points."""
    return (1024 // 4) ** 2 / mask2former_point_samples(device)


def sam2_memory_bank(device):
    """SAM 2 memory bank: 6 recent + 1 prompted frame memories of 64 x 64 x 64 numbers: (numbers, MiB in float32)."""
    mem = torch.empty(6 + 1, 64, 1024 // 16, 1024 // 16, device="meta")
    return (mem.numel(), mem.numel() * 4 / 2**20)

"""Checks for the Vision Transformer and modern-architecture questions of chapter 4.

ViT, DeiT, ConvNeXt and MLP-Mixer are rebuilt in plain torch.nn on the meta device and their parameters
counted from the modules; multiply-accumulates and Swin's window-attention cost are closed forms over the
papers' layer shapes.
"""
import torch
from torch import nn


def _count(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# ---------------------------------------------------------------- ViT, DeiT (Dosovitskiy 2021, Touvron 2021)

class _ViT(nn.Module):
    """A pre-norm ViT: conv patch embedding, class token (+ optional distillation token), learned
    positions.
    """

    def __init__(self, dim, depth, heads, image=224, patch=16, classes=1000, distilled=False):
        super().__init__()
        tokens = (image // patch) ** 2 + (2 if distilled else 1)
        self.patch_embed = nn.Conv2d(3, dim, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.empty(1, 1, dim))
        self.dist_token = nn.Parameter(torch.empty(1, 1, dim)) if distilled else None
        self.pos_embed = nn.Parameter(torch.empty(1, tokens, dim))
        self.blocks = nn.ModuleList(
            nn.TransformerEncoderLayer(dim, heads, 4 * dim, activation="gelu", batch_first=True,
                                       norm_first=True)
            for _ in range(depth))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)
        self.head_dist = nn.Linear(dim, classes) if distilled else None


def _vit(dim, depth, heads, **kw):
    with torch.device("meta"):
        return _ViT(dim, depth, heads, **kw)


def vit_b16_params(device):
    return _count(_vit(768, 12, 12))


def vit_l16_params(device):
    return _count(_vit(1024, 24, 16))


def vit_b16_patch_embed_params(device):
    return _count(_vit(768, 12, 12).patch_embed)


def vit_b16_block_params(device):
    return _count(_vit(768, 12, 12).blocks[0])


def vit_b16_block_share(device):
    """Share of ViT-B/16's parameters that sit in the 12 encoder blocks."""
    m = _vit(768, 12, 12)
    return _count(m.blocks) / _count(m)


def vit_b16_tokens(device):
    """Sequence length of ViT-B/16 at 224 and at 384 pixels (patches + class token)."""
    return (224 // 16) ** 2 + 1, (384 // 16) ** 2 + 1


def vit_attention_growth_384(device):
    """How much the N x N attention matrix grows from 224 to 384 pixels at patch 16."""
    n224, n384 = vit_b16_tokens(device)
    return (n384 / n224) ** 2


def _vit_macs(dim, depth, image=224, patch=16, tokens_extra=1, classes=1000):
    """Multiply-accumulates of one ViT forward pass: patch embedding, per-block linear layers and
    attention.
    """
    p = (image // patch) ** 2
    n = p + tokens_extra
    embed = p * dim * 3 * patch * patch
    per_block = n * dim * 3 * dim + 2 * n * n * dim + n * dim * dim + 2 * n * dim * 4 * dim
    return embed + depth * per_block + dim * classes


def vit_b16_macs(device):
    return _vit_macs(768, 12)


def deit_s_params(device):
    return _count(_vit(384, 12, 6))


def deit_s_distilled_params(device):
    return _count(_vit(384, 12, 6, distilled=True))


def deit_s_macs(device):
    return _vit_macs(384, 12)


def deit_distillation_extra_params(device):
    return deit_s_distilled_params(device) - deit_s_params(device)


# ---------------------------------------------------------------- Swin (Liu et al., 2021)

def _msa_flops(h, w, c):
    """Eq. (1) of the Swin paper: global multi-head self-attention on an h x w map with c channels."""
    return 4 * h * w * c * c + 2 * (h * w) ** 2 * c


def _wmsa_flops(h, w, c, m):
    """Eq. (2): window attention with m x m windows."""
    return 4 * h * w * c * c + 2 * m * m * h * w * c


def swin_stage1_msa_flops(device):
    return _msa_flops(56, 56, 96)


def swin_stage1_wmsa_flops(device):
    return _wmsa_flops(56, 56, 96, 7)


def swin_stage1_ratio(device):
    return _msa_flops(56, 56, 96) / _wmsa_flops(56, 56, 96, 7)


def swin_attention_term_ratio(device):
    """Ratio of the quadratic terms, 2(hw)^2C over 2M^2hwC = hw / M^2, for the 56 x 56 stage and M = 7."""
    return (56 * 56) / (7 * 7)



def swin_t_params(device):
    """Swin-T (C = 96, depths 2-2-6-2, heads 3-6-12-24, M = 7), counted layer by layer from the
    paper's design.
    """
    dims, depths, heads, m = [96, 192, 384, 768], [2, 2, 6, 2], [3, 6, 12, 24], 7
    total = 3 * 96 * 4 * 4 + 96 + 2 * 96              # patch partition + linear embedding (a 4x4/4 conv) + LN
    for i, (c, d, h) in enumerate(zip(dims, depths, heads)):
        block = (2 * c                                  # LN
                 + c * 3 * c + 3 * c                     # qkv
                 + (2 * m - 1) ** 2 * h                  # relative position bias table
                 + c * c + c                             # output projection
                 + 2 * c                                 # LN
                 + c * 4 * c + 4 * c + 4 * c * c + c)    # MLP
        total += d * block
        if i < 3:
            total += 2 * 4 * c + 4 * c * 2 * c          # patch merging: LN(4C) + Linear(4C -> 2C, no bias)
    return total + 2 * 768 + 768 * 1000 + 1000         # final LN + head


# ---------------------------------------------------------------- ConvNeXt (Liu et al., 2022)

class _ChannelsLastLN(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln = nn.LayerNorm(c)

    def forward(self, x):
        return self.ln(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class _ConvNeXtBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dw = nn.Conv2d(c, c, 7, padding=3, groups=c)
        self.norm = nn.LayerNorm(c)
        self.pw1 = nn.Linear(c, 4 * c)
        self.act = nn.GELU()
        self.pw2 = nn.Linear(4 * c, c)
        self.gamma = nn.Parameter(torch.empty(c))       # layer scale

    def forward(self, x):
        y = self.dw(x).permute(0, 2, 3, 1)
        y = self.pw2(self.act(self.pw1(self.norm(y)))) * self.gamma
        return x + y.permute(0, 3, 1, 2)


def _convnext(depths=(3, 3, 9, 3), dims=(96, 192, 384, 768), classes=1000):
    with torch.device("meta"):
        layers = [nn.Conv2d(3, dims[0], 4, stride=4), _ChannelsLastLN(dims[0])]
        for i, (d, c) in enumerate(zip(depths, dims)):
            if i > 0:
                layers += [_ChannelsLastLN(dims[i - 1]), nn.Conv2d(dims[i - 1], c, 2, stride=2)]
            layers += [_ConvNeXtBlock(c) for _ in range(d)]
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.LayerNorm(dims[-1]),
                   nn.Linear(dims[-1], classes)]
        return nn.Sequential(*layers)



def convnext_t_params(device):
    return _count(_convnext())


def convnext_t_macs(device):
    """Multiply-accumulates of ConvNeXt-T at 224 pixels, summed layer by layer (no forward pass, so it
    stays fast).
    """
    depths, dims = (3, 3, 9, 3), (96, 192, 384, 768)
    side = 224 // 4
    total = side * side * dims[0] * 3 * 4 * 4                  # 4x4/4 patchify stem
    for i, (d, c) in enumerate(zip(depths, dims)):
        if i > 0:
            side //= 2
            total += side * side * c * dims[i - 1] * 2 * 2     # 2x2/2 downsampling conv
        total += d * side * side * (c * 7 * 7 + 2 * c * 4 * c)  # depthwise 7x7, then C -> 4C -> C
    return total + dims[-1] * 1000



def convnext_block_params_96(device):
    """One ConvNeXt block at 96 channels: depthwise 7x7, LN, 96 -> 384 -> 96, layer scale."""
    with torch.device("meta"):
        return _count(_ConvNeXtBlock(96))





def convnext_block_dw_params_96(device):
    """The depthwise 7x7 convolution of a 96-channel ConvNeXt block (weights and biases)."""
    with torch.device("meta"):
        return _count(_ConvNeXtBlock(96).dw)


def swin_t_macs(device):
    """Multiply-accumulates of Swin-T at 224 pixels, summed stage by stage from the paper's layer shapes."""
    dims, depths, m = [96, 192, 384, 768], [2, 2, 6, 2], 7
    side = 56
    total = side * side * 96 * 3 * 4 * 4                      # 4x4/4 patch embedding
    for i, (c, d) in enumerate(zip(dims, depths)):
        hw = side * side
        block = hw * 4 * c * c + 2 * m * m * hw * c + hw * 8 * c * c   # qkv + proj, QK^T and AV, MLP
        total += d * block
        if i < 3:
            side //= 2
            total += side * side * 4 * c * 2 * c               # patch merging
    return total + 768 * 1000


def vgg_conv_512_params(device):
    """One VGG 3x3 convolution with 512 input and 512 output channels, weights and biases."""
    with torch.device("meta"):
        return _count(nn.Conv2d(512, 512, 3, padding=1))


# ---------------------------------------------------------------- MLP-Mixer (Tolstikhin et al., 2021)

class _MixerBlock(nn.Module):
    def __init__(self, tokens, dim, token_hidden, channel_hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.token_mlp = nn.Sequential(nn.Linear(tokens, token_hidden), nn.GELU(),
                                       nn.Linear(token_hidden, tokens))
        self.norm2 = nn.LayerNorm(dim)
        self.channel_mlp = nn.Sequential(nn.Linear(dim, channel_hidden), nn.GELU(),
                                         nn.Linear(channel_hidden, dim))


def _mixer_b16():
    with torch.device("meta"):
        return nn.ModuleDict({
            "stem": nn.Conv2d(3, 768, 16, stride=16),
            "blocks": nn.ModuleList(_MixerBlock(196, 768, 384, 3072) for _ in range(12)),
            "norm": nn.LayerNorm(768),
            "head": nn.Linear(768, 1000)})


def mixer_b16_params(device):
    return _count(_mixer_b16())


def mixer_b16_token_mlp_params(device):
    """The token-mixing MLP of one Mixer-B/16 layer (196 -> 384 -> 196, with biases)."""
    return _count(_mixer_b16()["blocks"][0].token_mlp)


def mixer_b16_channel_mlp_params(device):
    return _count(_mixer_b16()["blocks"][0].channel_mlp)


def mixer_vs_vit_b16_saving(device):
    """How many fewer parameters Mixer-B/16 has than ViT-B/16, as a fraction of ViT-B/16's."""
    return 1 - mixer_b16_params(device) / vit_b16_params(device)


def vit_attention_growth_half_patch(device):
    """How much the N x N attention matrix of ViT-B at 224 pixels grows when the patch shrinks from 16 to 8."""
    n16, n8 = (224 // 16) ** 2 + 1, (224 // 8) ** 2 + 1
    return (n8 / n16) ** 2


def vit_position_grids(device):
    """Side of the position-embedding grid at 224 and at 384 pixels, patch 16."""
    return 224 // 16, 384 // 16

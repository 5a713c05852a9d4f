"""Checks for chapter 17 (model compression): INT8 affine quantization, sparsity storage,
depthwise-separable convolution cost, MobileNet v1 / SqueezeNet sizes, distillation, low rank."""


import numpy as np
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

# ---------------------------------------------------------------- INT8 affine quantization

RANGE = (-1.0, 3.0)          # observed float range of the worked example
QMIN, QMAX = 0, 255          # unsigned 8-bit, as PyTorch quint8


def _qparams(lo, hi, qmin=QMIN, qmax=QMAX):
    lo, hi = min(lo, 0.0), max(hi, 0.0)              # the range must contain 0
    scale = (hi - lo) / (qmax - qmin)
    zero_point = int(np.clip(qmin - round(lo / scale), qmin, qmax))
    return scale, zero_point


def _quant_dequant(x, scale, zp, qmin=QMIN, qmax=QMAX):
    q = np.clip(np.round(x / scale) + zp, qmin, qmax)
    return (q - zp) * scale


def int8_scale(device):
    return _qparams(*RANGE)[0]


def int8_zero_point(device):
    return _qparams(*RANGE)[1]


def int8_zero_point_torch_observer(device):
    """Same numbers from PyTorch's MinMaxObserver (quint8, per-tensor affine)."""
    obs = torch.ao.quantization.MinMaxObserver(dtype=torch.quint8, qscheme=torch.per_tensor_affine)
    obs(torch.tensor([RANGE[0], RANGE[1]]))
    scale, zp = obs.calculate_qparams()
    return (float(scale), int(zp))


def int8_error_bound(device):
    return _qparams(*RANGE)[0] / 2


def int8_max_roundtrip_error(device):
    """Largest |x - dequant(quant(x))| over a dense grid of the range."""
    scale, zp = _qparams(*RANGE)
    x = np.linspace(RANGE[0], RANGE[1], 100_001)
    return float(np.abs(_quant_dequant(x, scale, zp) - x).max())


def int8_compression_ratio(device):
    """Bytes of an fp32 weight tensor over the bytes of its int8 representation."""
    torch.manual_seed(0)
    w = torch.randn(256, 256)
    scale = float(w.abs().max()) / 127                       # symmetric int8
    ints = torch.clamp(torch.round(w / scale), -127, 127).to(torch.int8)
    return (w.numel() * w.element_size()) / (ints.numel() * ints.element_size())


def _per_channel_vs_tensor_mse_ratio(device):
    """Weight with 4 output channels of very different ranges (std 0.01, 0.1, 1, 10): symmetric int8 MSE,
    per-tensor over per-channel."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 1024)) * np.array([0.01, 0.1, 1.0, 10.0])[:, None]

    def sym(x, amax):
        s = amax / 127
        return np.clip(np.round(x / s), -127, 127) * s

    per_tensor = sym(w, np.abs(w).max())
    per_channel = sym(w, np.abs(w).max(axis=1, keepdims=True))
    return float(((per_tensor - w) ** 2).mean() / ((per_channel - w) ** 2).mean())


def per_channel_small_channel_zeroed_share(device):
    """Share of the std-0.01 channel that per-tensor int8 rounds to exactly 0."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 1024)) * np.array([0.01, 0.1, 1.0, 10.0])[:, None]
    s = np.abs(w).max() / 127
    return float((np.round(w[0] / s) == 0).mean())


# ---------------------------------------------------------------- pruning / sparsity

def csr_compression_90(device):
    """Dense fp32 1024x1024 vs CSR (fp32 values, int32 column indices and row pointers) after 90%
    magnitude pruning."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal((1024, 1024)).astype(np.float32)
    thresh = np.quantile(np.abs(w), 0.9)
    mask = np.abs(w) > thresh
    nnz = int(mask.sum())
    dense = w.size * 4
    csr = nnz * (4 + 4) + (w.shape[0] + 1) * 4
    return dense / csr


def csr_breakeven_sparsity(device):
    """Sparsity above which CSR (fp32 value + int32 index per non-zero) beats dense fp32, 1024x1024."""
    n = 1024
    best = None
    for nnz in range(n * n, -1, -n):  # step by whole rows, coarse search is enough
        if nnz * 8 + (n + 1) * 4 < n * n * 4:
            best = 1 - nnz / (n * n)
            break
    return best


# ---------------------------------------------------------------- depthwise separable convolution

def _macs(module, shape):
    with torch.device("meta"):
        x = torch.empty(*shape)
    counter = FlopCounterMode(display=False)
    with counter:
        module(x)
    return counter.get_total_flops() // 2


def _std_and_sep(dk=3, m=512, n=512, df=14):
    with torch.device("meta"):
        std = nn.Conv2d(m, n, dk, padding=dk // 2, bias=False)
        sep = nn.Sequential(nn.Conv2d(m, m, dk, padding=dk // 2, groups=m, bias=False),
                            nn.Conv2d(m, n, 1, bias=False))
    shape = (1, m, df, df)
    return _macs(std, shape), _macs(sep, shape)


def std_conv_macs(device):
    return _std_and_sep()[0]


def sep_conv_macs(device):
    return _std_and_sep()[1]


def sep_conv_saving(device):
    s, d = _std_and_sep()
    return s / d


def sep_conv_cost_ratio(device):
    s, d = _std_and_sep()
    return d / s


def _mobilenet_v1(alpha=1.0):
    def c(ch):
        return int(ch * alpha)

    def conv_bn(i, o, s):
        return [nn.Conv2d(i, o, 3, s, 1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True)]

    def dw(i, o, s):
        return [nn.Conv2d(i, i, 3, s, 1, groups=i, bias=False), nn.BatchNorm2d(i), nn.ReLU(inplace=True),
                nn.Conv2d(i, o, 1, 1, 0, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True)]

    cfg = [(32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1), (256, 512, 2)] + \
          [(512, 512, 1)] * 5 + [(512, 1024, 2), (1024, 1024, 1)]
    layers = conv_bn(3, c(32), 2)
    for i, o, s in cfg:
        layers += dw(c(i), c(o), s)
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c(1024), 1000)]
    return nn.Sequential(*layers)


def mobilenet_v1_params(device):
    """Weights and biases only (BatchNorm running statistics are buffers, not parameters)."""
    with torch.device("meta"):
        m = _mobilenet_v1()
    return sum(p.numel() for p in m.parameters())


def _mobilenet_v1_macs():
    """(total, pointwise) multiply-adds of convolutions and the classifier at 224x224, counted layer by
    layer from the real output shapes (BatchNorm folded away, as in the paper)."""
    with torch.device("meta"):
        m = _mobilenet_v1().eval()
        x = torch.empty(1, 3, 224, 224)
    total, pw = 0, 0
    for layer in m:
        if isinstance(layer, nn.Conv2d):
            out = layer(x)
            macs = out.numel() * (layer.in_channels // layer.groups) * layer.kernel_size[0] * layer.kernel_size[1]
            total += macs
            if layer.kernel_size == (1, 1):
                pw += macs
            x = out
        else:
            x = layer(x)
            if isinstance(layer, nn.Linear):
                total += layer.in_features * layer.out_features
    return total, pw


def mobilenet_v1_mult_adds(device):
    return _mobilenet_v1_macs()[0]


def mobilenet_v1_pointwise_share(device):
    """Share of the 1x1 (pointwise) convolutions in MobileNet v1's multiply-adds."""
    total, pw = _mobilenet_v1_macs()
    return pw / total


# ---------------------------------------------------------------- SqueezeNet

class _Fire(nn.Module):
    def __init__(self, i, s, e1, e3):
        super().__init__()
        self.squeeze = nn.Conv2d(i, s, 1)
        self.e1 = nn.Conv2d(s, e1, 1)
        self.e3 = nn.Conv2d(s, e3, 3, padding=1)

    def forward(self, x):
        x = torch.relu(self.squeeze(x))
        return torch.cat([torch.relu(self.e1(x)), torch.relu(self.e3(x))], 1)


def squeezenet_params(device):
    """SqueezeNet v1.0 (Iandola et al., 2016) as in torchvision."""
    with torch.device("meta"):
        m = nn.Sequential(
            nn.Conv2d(3, 96, 7, 2), nn.ReLU(), nn.MaxPool2d(3, 2, ceil_mode=True),
            _Fire(96, 16, 64, 64), _Fire(128, 16, 64, 64), _Fire(128, 32, 128, 128),
            nn.MaxPool2d(3, 2, ceil_mode=True),
            _Fire(256, 32, 128, 128), _Fire(256, 48, 192, 192), _Fire(384, 48, 192, 192), _Fire(384, 64, 256, 256),
            nn.MaxPool2d(3, 2, ceil_mode=True), _Fire(512, 64, 256, 256),
            nn.Dropout(0.5), nn.Conv2d(512, 1000, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
    return sum(p.numel() for p in m.parameters())


# ---------------------------------------------------------------- efficient architectures

def efficientnet_flops_factor(device):
    """alpha * beta^2 * gamma^2 for EfficientNet's compound scaling (alpha=1.2, beta=1.1, gamma=1.15)."""
    alpha, beta, gamma = 1.2, 1.1, 1.15
    return alpha * beta ** 2 * gamma ** 2


def group_conv_param_ratio(device):
    """Parameters of a 1x1 conv 256->256 over the same conv with 8 groups."""
    with torch.device("meta"):
        full = nn.Conv2d(256, 256, 1, bias=False)
        grouped = nn.Conv2d(256, 256, 1, groups=8, bias=False)
    return full.weight.numel() / grouped.weight.numel()


# ---------------------------------------------------------------- distillation

DISTILL_LOGITS = [3.0, 1.0, 0.2]


def _soft_targets(device, T=1.0):
    z = torch.tensor(DISTILL_LOGITS, dtype=torch.float64)
    return torch.softmax(z / T, dim=0)


def soft_targets_t1(device):
    return _soft_targets(device, 1.0)


def soft_targets_t4(device):
    return _soft_targets(device, 4.0)


def distill_grad_scale_t4(device):
    """Gradient of the soft cross-entropy w.r.t. student logits shrinks like 1/T^2 for large T:
    ratio of the gradient norm at T=1 to that at T=4 for a fixed pair of logits (hence the T^2 factor)."""
    teacher = torch.tensor(DISTILL_LOGITS, dtype=torch.float64)
    student = torch.tensor([2.0, 1.5, 0.5], dtype=torch.float64)

    def grad(T):
        s = student.clone().requires_grad_(True)
        loss = -(torch.softmax(teacher / T, 0) * torch.log_softmax(s / T, 0)).sum()
        loss.backward()
        return s.grad.norm().item()

    return grad(1.0) / grad(4.0)


# ---------------------------------------------------------------- low rank

def _low_rank_params(device):
    """1024x1024 linear layer (no bias) replaced by two factors of rank 64."""
    with torch.device("meta"):
        full = nn.Linear(1024, 1024, bias=False)
        low = nn.Sequential(nn.Linear(1024, 64, bias=False), nn.Linear(64, 1024, bias=False))
    return sum(p.numel() for p in low.parameters()), sum(p.numel() for p in full.parameters())


def low_rank_ratio(device):
    lo, full = _low_rank_params(device)
    return full / lo


def low_rank_factor_params(device):
    return _low_rank_params(device)[0]


def mobilenet_v1_fp32_megabytes(device):
    return mobilenet_v1_params(device) * 4 / 1e6


def mobilenet_v1_int8_megabytes(device):
    return mobilenet_v1_params(device) * 1 / 1e6


def fp16_max(device):
    return torch.finfo(torch.float16).max


def fp16_overflow_example(device):
    """300 * 300 overflows in FP16 (above 65504) but not in BF16."""
    a = torch.tensor(300.0, dtype=torch.float16)
    b = torch.tensor(300.0, dtype=torch.bfloat16)
    return (float(a * a), float(b * b))

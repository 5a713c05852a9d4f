"""Checks for deep-learning foundations: softmax, initialization, dropout, normalization, optimizers (chapter 3)."""

import math

import torch
import torch.nn.functional as F
from torch import nn


def mlp_params(device):
    with torch.device("meta"):
        net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    return sum(p.numel() for p in net.parameters())


def softmax_123(device):
    return tuple(torch.softmax(torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64), 0).tolist())


def softmax_shift_diff(device):
    """max |softmax(x) - softmax(x + 100)|."""
    x = torch.tensor([1.0, 2.0, 3.0])
    return (torch.softmax(x, 0) - torch.softmax(x + 100.0, 0)).abs().max().item()



def logsumexp_1000(device):
    return torch.logsumexp(torch.tensor([1000.0, 1000.0], dtype=torch.float64), 0).item()


def ce_grad_logits(device):
    """d CE / d logits for logits (2, 1, 0.1) and target class 0: softmax - onehot."""
    z = torch.tensor([[2.0, 1.0, 0.1]], dtype=torch.float64, requires_grad=True)
    F.cross_entropy(z, torch.tensor([0])).backward()
    return tuple(z.grad[0].tolist())


def ce_loss_logits(device):
    z = torch.tensor([[2.0, 1.0, 0.1]], dtype=torch.float64)
    return F.cross_entropy(z, torch.tensor([0])).item()


def _init_var(fn, **kw):
    g = torch.Generator().manual_seed(0)
    w = torch.empty(128, 256)      # fan_out = 128, fan_in = 256
    fn(w, generator=g, **kw)
    return w.var().item()


def fans(device):
    return nn.init._calculate_fan_in_and_fan_out(torch.empty(128, 256))


def xavier_formula_var(device):
    fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(torch.empty(128, 256))
    return 2.0 / (fan_in + fan_out)


def xavier_uniform_empirical_var(device):
    return _init_var(nn.init.xavier_uniform_)


def xavier_uniform_bound(device):
    fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(torch.empty(128, 256))
    return math.sqrt(6.0 / (fan_in + fan_out))


def he_formula_var(device):
    fan_in, _ = nn.init._calculate_fan_in_and_fan_out(torch.empty(128, 256))
    gain = nn.init.calculate_gain("relu")
    return gain ** 2 / fan_in


def he_normal_empirical_var(device):
    return _init_var(nn.init.kaiming_normal_, nonlinearity="relu")


def dropout_train_scale(device):
    """Surviving activations of nn.Dropout(p=0.2) in train mode are multiplied by 1/(1-p)."""
    torch.manual_seed(0)
    d = nn.Dropout(p=0.2).train()
    y = d(torch.ones(10_000))
    return y[y > 0].unique().item()


def dropout_keep_fraction(device):
    torch.manual_seed(0)
    y = nn.Dropout(p=0.2).train()(torch.ones(100_000))
    return (y > 0).float().mean().item()


def dropout_eval_identity(device):
    d = nn.Dropout(p=0.2).eval()
    x = torch.arange(5.0)
    return (d(x) - x).abs().max().item()


def bn_params(device):
    """Learnable parameters and buffers (running mean/var) of BatchNorm2d(64)."""
    bn = nn.BatchNorm2d(64)
    learn = sum(p.numel() for p in bn.parameters())
    buf = bn.running_mean.numel() + bn.running_var.numel()
    return (learn, buf)


def adam_first_step(device):
    """Size of Adam's first update with lr = 0.1 whatever the gradient's scale (here 3.0 and 1e-3)."""
    out = []
    for g in (3.0, 1e-3):
        p = nn.Parameter(torch.zeros(1, dtype=torch.float64))
        opt = torch.optim.Adam([p], lr=0.1)
        p.grad = torch.full_like(p, g)
        opt.step()
        out.append(round(abs(p.item()), 4))
    return tuple(out)


def momentum_effective_lr_factor(device):
    """With a constant gradient, SGD momentum 0.9 converges to steps 1/(1-0.9) times plain SGD."""
    p = nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=1.0, momentum=0.9)
    last = 0.0
    for _ in range(200):
        p.grad = torch.ones_like(p)
        before = p.item()
        opt.step()
        last = before - p.item()
    return last


def adamw_decay_factor(device):
    """AdamW with lr = 0.1, weight_decay = 0.01 and zero gradient shrinks the weight by (1 - lr * wd)."""
    p = nn.Parameter(torch.ones(1, dtype=torch.float64))
    opt = torch.optim.AdamW([p], lr=0.1, weight_decay=0.01)
    p.grad = torch.zeros_like(p)
    opt.step()
    return p.item()


def linear_scaling_lr(device):
    """Goyal et al. (2017): lr 0.1 at batch 256 scales to batch 8192 as 0.1 * 8192 / 256."""
    return 0.1 * 8192 / 256


def gn_equals_ln(device):
    """GroupNorm with one group equals LayerNorm over (C, H, W) (no affine): max abs difference."""
    torch.manual_seed(0)
    x = torch.randn(2, 8, 4, 4)
    a = F.group_norm(x, 1)
    b = F.layer_norm(x, x.shape[1:])
    return (a - b).abs().max().item()


def wn_params(device):
    """Parameters of nn.Linear(100, 10) before and after weight normalization (g adds one per output)."""
    from torch.nn.utils.parametrizations import weight_norm
    lin = nn.Linear(100, 10)
    before = sum(p.numel() for p in lin.parameters())
    lin = weight_norm(lin)
    after = sum(p.numel() for p in lin.parameters())
    return (before, after)


def label_smoothing_grad(device):
    """d CE / d logits with label_smoothing = 0.1, K = 10, all-zero logits: (true class, any other class)."""
    z = torch.zeros(1, 10, dtype=torch.float64, requires_grad=True)
    F.cross_entropy(z, torch.tensor([3]), label_smoothing=0.1).backward()
    return (z.grad[0, 3].item(), z.grad[0, 0].item())

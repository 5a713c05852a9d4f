"""Checks for building and training networks (chapter 12): losses, schedules, memory, communication."""

import torch
import torch.nn.functional as F
from torch import nn


def _uniform_ce(num_classes, device):
    torch.manual_seed(0)
    logits = torch.zeros(16, num_classes, device=device)       # an untrained net: equal logits
    target = torch.randint(0, num_classes, (16,), device=device)
    return F.cross_entropy(logits, target).item()


def initial_loss_10(device):
    return _uniform_ce(10, device)


def initial_loss_1000(device):
    return _uniform_ce(1000, device)


def initial_loss_random_mlp(device):
    """Cross-entropy of a freshly initialised MLP (PyTorch default init, small last layer) on random data."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 10)).to(device)
    with torch.no_grad():
        net[2].weight.mul_(0.01)
        net[2].bias.zero_()
    x = torch.randn(512, 32, device=device)
    y = torch.randint(0, 10, (512,), device=device)
    with torch.no_grad():
        return F.cross_entropy(net(x), y).item()


class _BareOptimizer(torch.optim.Optimizer):
    """The smallest object a scheduler accepts: one param group, no parameters. Building a real optimizer
    would import torch._dynamo (seconds); the scheduler only reads and writes param_groups[i]["lr"]."""

    def __init__(self, lr):
        self.defaults = {"lr": lr}
        self.param_groups = [{"params": [], "lr": lr}]
        self.state = {}

    def step(self, closure=None):
        return None


def _lrs(scheduler_fn, steps, base_lr=0.1):
    opt = _BareOptimizer(base_lr)
    sched = scheduler_fn(opt)
    out = []
    for _ in range(steps + 1):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def cosine_lr_at_25(device):
    """CosineAnnealingLR, base lr 0.1, T_max = 100, eta_min = 0: lr after 25 scheduler steps."""
    return _lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=100), 25)[25]


def cosine_lr_at_50(device):
    return _lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=100), 50)[50]


def cosine_lr_at_75(device):
    return _lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=100), 75)[75]


def linear_warmup_values(device):
    """LambdaLR with factor min(1, (step + 1) / 5), base lr 1e-3: lr at steps 0..4."""
    lrs = _lrs(lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda s: min(1.0, (s + 1) / 5)), 5, base_lr=1e-3)
    return tuple(round(v, 10) for v in lrs[:5])


def linear_scaling_lr(device):
    """Goyal et al. (2017): lr = 0.1 * batch / 256 for batch 8192."""
    base_lr, base_batch, batch = 0.1, 256, 8192
    return base_lr * batch / base_batch


def label_smoothing_targets(device):
    """Smoothed target for the true class and for another class, eps = 0.1, K = 10 (PyTorch convention)."""
    k, eps = 10, 0.1
    onehot = F.one_hot(torch.tensor(3), k).double()
    smooth = onehot * (1 - eps) + eps / k
    return (smooth[3].item(), smooth[0].item())



def focal_loss_easy(device):
    """Focal loss -(1-p)^gamma log p for p = 0.9, gamma = 2."""
    p = torch.tensor(0.9, dtype=torch.float64)
    return (-(1 - p) ** 2 * torch.log(p)).item()


def ce_easy(device):
    p = torch.tensor(0.9, dtype=torch.float64)
    return (-torch.log(p)).item()


def _adam_bytes_per_param():
    """Bytes per parameter of fp32 weights, fp32 grads and Adam's two moments, measured on a real model.
    The moments are allocated the way torch.optim.Adam allocates them on its first step (zeros_like each
    parameter); running Adam itself would import torch._dynamo, which takes seconds."""
    torch.manual_seed(0)
    model = nn.Linear(64, 64)
    model(torch.randn(2, 64)).sum().backward()
    state = {p: {"exp_avg": torch.zeros_like(p, memory_format=torch.preserve_format),
                 "exp_avg_sq": torch.zeros_like(p, memory_format=torch.preserve_format)}
             for p in model.parameters()}
    n = sum(p.numel() for p in model.parameters())
    total = 0
    for p in model.parameters():
        total += p.numel() * p.element_size() + p.grad.numel() * p.grad.element_size()
        for v in state[p].values():
            total += v.numel() * v.element_size()
    return total / n


def adam_bytes_per_param(device):
    return _adam_bytes_per_param()


def adam_memory_7b(device):
    """Weights + gradients + Adam states of a 7e9-parameter model trained in fp32, in bytes."""
    return 7e9 * _adam_bytes_per_param()


def mixed_adam_bytes_per_param(device):
    """ZeRO accounting for mixed-precision Adam: fp16 weights and grads, fp32 master weights, m and v."""
    sizes = [torch.finfo(torch.float16).bits, torch.finfo(torch.float16).bits] + [torch.finfo(torch.float32).bits] * 3
    return sum(sizes) / 8


def ring_allreduce_factor(device):
    """Simulate ring all-reduce over 8 workers; return elements sent per worker / message size."""
    n, size = 8, 8 * 1000
    chunks = [[torch.full((size // n,), float(w)) for _ in range(n)] for w in range(n)]
    sent = [0] * n
    for step in range(n - 1):                       # reduce-scatter
        for w in range(n):
            c = (w - step) % n
            dst = (w + 1) % n
            chunks[dst][c] = chunks[dst][c] + chunks[w][c]
            sent[w] += chunks[w][c].numel()
    for step in range(n - 1):                       # all-gather
        for w in range(n):
            c = (w + 1 - step) % n
            dst = (w + 1) % n
            chunks[dst][c] = chunks[w][c].clone()
            sent[w] += chunks[w][c].numel()
    ok = all(torch.all(chunks[w][c] == sum(range(n))) for w in range(n) for c in range(n))
    return sent[0] / size if ok else float("nan")


def grad_accum_effective_batch(device):
    micro, accum, world = 8, 4, 8
    return micro * accum * world


def zero3_bytes_per_gpu_7b(device):
    """ZeRO stage 3: 16 bytes/param of model states split over 64 GPUs for a 7e9-parameter model."""
    return 7e9 * mixed_adam_bytes_per_param(device) / 64


def dropout_scale(device):
    """Inverted dropout with p = 0.5 multiplies kept activations by 1/(1-p) in training."""
    torch.manual_seed(0)
    y = F.dropout(torch.ones(1000), p=0.5, training=True)
    return y[y > 0][0].item()



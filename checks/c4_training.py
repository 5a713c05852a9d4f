"""Checks for chapters 12-15 added in the second edition: optimizer state sizes, step sizes, closed forms."""

import torch


def adam_state_bytes_per_param(device):
    """Adam keeps m and v, each shaped like the parameter: bytes of state per fp32 parameter."""
    p = torch.nn.Parameter(torch.zeros(1000, device=device))
    opt = torch.optim.Adam([p])
    p.grad = torch.ones_like(p)
    opt.step()
    state = opt.state[p]
    return sum(v.numel() * v.element_size() for v in state.values() if v.dim() > 0) / p.numel()


def central_difference_best_h_fp64(device):
    """Step that balances O(h^2) truncation against eps/h rounding in a central difference: eps^(1/3)."""
    eps = torch.finfo(torch.float64).eps
    return eps ** (1.0 / 3.0)


def sgd_momentum_state_bytes_per_param(device):
    """SGD with momentum keeps one momentum buffer per parameter: bytes of state per fp32 parameter."""
    p = torch.nn.Parameter(torch.zeros(1000, device=device))
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = torch.ones_like(p)
    opt.step()
    state = opt.state[p]
    return sum(v.numel() * v.element_size() for v in state.values() if torch.is_tensor(v) and v.dim() > 0) / p.numel()

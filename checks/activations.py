"""Checks for activation functions and their derivatives (chapter 3)."""

import torch


def _sigmoid_grad(x: float, device: str) -> float:
    t = torch.tensor([x], dtype=torch.float64, device=device, requires_grad=True)
    torch.sigmoid(t).sum().backward()
    return t.grad.item()


def sigmoid_grad_at_0(device):
    """σ'(0) = σ(0)(1-σ(0)) = 1/4, the largest value σ' takes."""
    return _sigmoid_grad(0.0, device)


def sigmoid_grad_at_5(device):
    return _sigmoid_grad(5.0, device)


def _grad(fn, x: float) -> float:
    t = torch.tensor([x], dtype=torch.float64, requires_grad=True)
    fn(t).sum().backward()
    return t.grad.item()


def tanh_grad_at_0(device):
    """tanh'(x) = 1 - tanh(x)^2, equal to 1 at the origin."""
    return _grad(torch.tanh, 0.0)


def tanh_grad_at_2(device):
    return _grad(torch.tanh, 2.0)


def tanh_grad_formula_at_2(device):
    t = torch.tanh(torch.tensor(2.0, dtype=torch.float64))
    return (1 - t ** 2).item()


def sigmoid_grad_power_10(device):
    """Upper bound of the product of ten sigmoid derivatives: 0.25^10."""
    return _sigmoid_grad(0.0, device) ** 10


def gelu_at_1(device):
    return torch.nn.functional.gelu(torch.tensor(1.0, dtype=torch.float64)).item()


def silu_at_1(device):
    return torch.nn.functional.silu(torch.tensor(1.0, dtype=torch.float64)).item()


def leaky_relu_at_minus_2(device):
    return torch.nn.functional.leaky_relu(torch.tensor(-2.0), 0.01).item()


def relu_grad_at(device):
    """ReLU gradient at -1, 0 and 2 as PyTorch defines it."""
    t = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    torch.relu(t).sum().backward()
    return tuple(t.grad.tolist())

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

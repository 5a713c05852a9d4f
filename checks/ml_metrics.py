"""Checks for losses and evaluation metrics (chapter 2)."""

import numpy as np
import torch
import torch.nn.functional as F


def _confusion():
    # a worked example: 1000 samples, 60 positives
    y_true = np.array([1] * 60 + [0] * 940)
    y_pred = np.array([1] * 40 + [0] * 20 + [1] * 10 + [0] * 930)
    tp = int(((y_pred == 1) & (y_true == 1)).sum())
    fp = int(((y_pred == 1) & (y_true == 0)).sum())
    fn = int(((y_pred == 0) & (y_true == 1)).sum())
    tn = int(((y_pred == 0) & (y_true == 0)).sum())
    return tp, fp, fn, tn


def precision(device):
    tp, fp, fn, tn = _confusion()
    return tp / (tp + fp)


def recall(device):
    tp, fp, fn, tn = _confusion()
    return tp / (tp + fn)


def f1(device):
    p, r = precision(device), recall(device)
    return 2 * p * r / (p + r)


def accuracy(device):
    tp, fp, fn, tn = _confusion()
    return (tp + tn) / (tp + fp + fn + tn)


def _auc_example():
    y = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    s = np.array([0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.3, 0.2])
    return y, s


def auc_pairs(device):
    """AUC as the fraction of (positive, negative) pairs ranked correctly."""
    y, s = _auc_example()
    pos, neg = s[y == 1], s[y == 0]
    return float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())


def auc_trapezoid(device):
    """AUC as the area under the ROC curve (trapezoids over thresholds)."""
    y, s = _auc_example()
    order = np.argsort(-s)
    y = y[order]
    tpr = np.concatenate([[0], np.cumsum(y) / y.sum()])
    fpr = np.concatenate([[0], np.cumsum(1 - y) / (1 - y).sum()])
    return float(np.sum((fpr[1:] - fpr[:-1]) * (tpr[1:] + tpr[:-1]) / 2))


def always_negative_accuracy(device):
    y = np.zeros(10_000)
    y[:100] = 1
    return float((y == 0).mean())


def ce_loss_p08(device):
    """Cross-entropy when the true class gets probability 0.8."""
    return F.nll_loss(torch.tensor([[0.8, 0.2]]).log(), torch.tensor([0])).item()


def ce_loss_p01(device):
    return F.nll_loss(torch.tensor([[0.1, 0.9]]).log(), torch.tensor([0])).item()


def _sigmoid_grads(z, y):
    z = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    F.binary_cross_entropy_with_logits(z, torch.tensor(y, dtype=torch.float64)).backward()
    g_ce = z.grad.item()
    z2 = torch.tensor(z.item(), dtype=torch.float64, requires_grad=True)
    (0.5 * (torch.sigmoid(z2) - y) ** 2).backward()
    return g_ce, z2.grad.item()


def bce_grad_wrong(device):
    """dL/dz of BCE at z = -5 with label 1 (confidently wrong)."""
    return _sigmoid_grads(-5.0, 1.0)[0]


def mse_sigmoid_grad_wrong(device):
    """dL/dz of 0.5 * (sigmoid(z) - y)^2 at z = -5 with label 1."""
    return _sigmoid_grads(-5.0, 1.0)[1]


def hinge_losses(device):
    """Hinge loss max(0, 1 - y f) for y = 1 and f = 0.3, 1.5, -0.5."""
    y = torch.ones(3)
    f = torch.tensor([0.3, 1.5, -0.5])
    return tuple(torch.clamp(1 - y * f, min=0).tolist())


def huber_vs_mse(device):
    """Huber (delta = 1) and half-MSE on a residual of 10."""
    r = torch.tensor([10.0])
    huber = F.huber_loss(r, torch.zeros(1), delta=1.0).item()
    return (huber, 0.5 * r.item() ** 2)

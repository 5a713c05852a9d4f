"""Checks for the chapter 8 (object detection, tracking, 3D, OCR) questions."""

import itertools
import math

import torch
from torch import nn


def _grid_cells(size, strides):
    return [math.ceil(size / s) ** 2 for s in strides]


def yolo_anchor_free_predictions_640(device):
    """Anchor-free YOLO (YOLOX, YOLOv8) at 640x640: one prediction per cell at strides 8, 16, 32."""
    return sum(_grid_cells(640, (8, 16, 32)))


def yolo_anchor_based_predictions_640(device):
    """YOLOv5 at 640x640: three anchors per cell at strides 8, 16, 32."""
    return 3 * yolo_anchor_free_predictions_640(device)


def dfl_target_weights(device):
    """DFL splits a continuous target 2.3 between the two nearest bins: (weight of bin 2, weight of bin 3)."""
    y = 2.3
    lo = math.floor(y)
    return (lo + 1 - y, y - lo)


def dfl_minimum_loss(device):
    """Smallest DFL for target 2.3: the predicted distribution puts 0.7 on bin 2 and 0.3 on bin 3."""
    w_lo, w_hi = dfl_target_weights(device)
    return -(w_lo * math.log(w_lo) + w_hi * math.log(w_hi))


def dfl_uniform_loss_16(device):
    """DFL when the 16 bins are predicted uniformly: log 16, whatever the target."""
    return math.log(16)


def _feature_map_sizes(h, w):
    """ResNet C3-C5 (strides 8, 16, 32) plus one stride-2 3x3 convolution on C5 (stride 64)."""
    sizes = []
    for s in (8, 16, 32):
        sizes.append((math.ceil(h / s), math.ceil(w / s)))
    h5, w5 = sizes[-1]
    sizes.append(((h5 - 1) // 2 + 1, (w5 - 1) // 2 + 1))
    return sizes


def deformable_detr_tokens_800x1333(device):
    return sum(a * b for a, b in _feature_map_sizes(800, 1333))


def deformable_detr_points_per_query(device):
    """8 heads x 4 feature levels x 4 sampling points."""
    return 8 * 4 * 4


def deformable_detr_attention_saving(device):
    """Key positions per query: all tokens for dense attention versus 128 sampled points."""
    return deformable_detr_tokens_800x1333(device) / deformable_detr_points_per_query(device)


def rtdetr_s5_tokens_640(device):
    return _grid_cells(640, (32,))[0]


def rtdetr_attention_pairs_ratio(device):
    """Attention pairs over all three levels (8400 tokens) versus S5 only (400 tokens)."""
    return (yolo_anchor_free_predictions_640(device) / rtdetr_s5_tokens_640(device)) ** 2


def chi2_quantile_095_dof4(device):
    """0.95 quantile of chi-square with 4 degrees of freedom, by bisection on its closed-form CDF."""
    cdf = lambda x: 1 - math.exp(-x / 2) * (1 + x / 2)
    lo, hi = 0.0, 50.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cdf(mid) < 0.95 else (lo, mid)
    return (lo + hi) / 2


def mota_example(device):
    """MOTA with 1000 ground-truth boxes, 80 misses, 50 false positives and 20 identity switches."""
    gt, fn, fp, idsw = 1000, 80, 50, 20
    return 1 - (fn + fp + idsw) / gt


def hota_example(device):
    """HOTA at one threshold = sqrt(DetA * AssA) with DetA = 0.6 and AssA = 0.5."""
    return math.sqrt(0.6 * 0.5)


def pointnet_shared_mlp_params(device):
    """Parameters of PointNet's shared per-point MLPs 3-64-64 and 64-64-128-1024 (1x1 convolutions, with bias)."""
    widths = [3, 64, 64, 64, 128, 1024]
    with torch.device("meta"):
        layers = [nn.Conv1d(a, b, 1) for a, b in zip(widths, widths[1:])]
    return sum(p.numel() for layer in layers for p in layer.parameters())


def pointpillars_grid(device):
    """KITTI car range x in [0, 69.12] m, y in [-39.68, 39.68] m at 0.16 m pillars: (cells along x, cells along y)."""
    return (round(69.12 / 0.16), round(79.36 / 0.16))


def _ctc_collapse(path, blank="-"):
    out = []
    prev = None
    for c in path:
        if c != prev and c != blank:
            out.append(c)
        prev = c
    return "".join(out)


def ctc_alignment_count(device):
    """Number of length-4 paths over {-, a, b} that collapse to 'ab'."""
    return sum(_ctc_collapse(p) == "ab" for p in itertools.product("-ab", repeat=4))


def ctc_uniform_loss(device):
    """CTC loss of 'ab' over T = 4 frames when every frame is uniform over {-, a, b}, by torch."""
    log_probs = torch.full((4, 1, 3), math.log(1 / 3), dtype=torch.float64)
    loss = nn.functional.ctc_loss(log_probs, torch.tensor([[1, 2]]), torch.tensor([4]), torch.tensor([2]),
                                  blank=0, reduction="sum")
    return float(loss)


def dbnet_binarization(device):
    """Differentiable binarisation 1 / (1 + exp(-k (P - T))) with k = 50 at P - T = 0.05."""
    return float(torch.sigmoid(torch.tensor(50 * 0.05, dtype=torch.float64)))


def dbnet_shrink_offset(device):
    """Shrink offset D = A (1 - r^2) / L for a 100 x 20 text box with r = 0.4."""
    w, h, r = 100, 20, 0.4
    return w * h * (1 - r * r) / (2 * (w + h))


def retinanet_anchors_800x1333(device):
    """RetinaNet anchors on P3-P7 (strides 8 to 128) of an 800x1333 input, 9 per position."""
    h, w = 800, 1333
    total = 0
    for s in (8, 16, 32, 64, 128):
        total += math.ceil(h / s) * math.ceil(w / s)
    return 9 * total


def kalman_cv_update(device):
    """One predict-update step of a 1-D constant-velocity Kalman filter.

    x = (0, 1), P = I, F = [[1, 1], [0, 1]], Q = 0, H = [1, 0], R = 1, measurement z = 1.2.
    Returns (gain on position, gain on velocity, updated position, updated velocity, updated position variance).
    """
    x = torch.tensor([0.0, 1.0], dtype=torch.float64)
    P = torch.eye(2, dtype=torch.float64)
    F = torch.tensor([[1.0, 1.0], [0.0, 1.0]], dtype=torch.float64)
    H = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    R = torch.tensor([[1.0]], dtype=torch.float64)
    x, P = F @ x, F @ P @ F.T
    S = H @ P @ H.T + R
    K = P @ H.T @ torch.linalg.inv(S)
    x = x + (K @ (torch.tensor([1.2], dtype=torch.float64) - H @ x))
    P = (torch.eye(2, dtype=torch.float64) - K @ H) @ P
    return (float(K[0, 0]), float(K[1, 0]), float(x[0]), float(x[1]), float(P[0, 0]))

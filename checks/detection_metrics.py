"""Checks for object detection (chapter 8): IoU, NMS, AP, anchors, focal loss, detector head sizes."""

import math

import numpy as np
import torch
from torch import nn


def _iou(a, b):
    """IoU of boxes (x1, y1, x2, y2); a: (4,), b: (N, 4)."""
    a = np.asarray(a, float)
    b = np.atleast_2d(np.asarray(b, float))
    iw = np.clip(np.minimum(a[2], b[:, 2]) - np.maximum(a[0], b[:, 0]), 0, None)
    ih = np.clip(np.minimum(a[3], b[:, 3]) - np.maximum(a[1], b[:, 1]), 0, None)
    inter = iw * ih
    area = lambda x: (x[..., 2] - x[..., 0]) * (x[..., 3] - x[..., 1])
    return inter / (area(a) + area(b) - inter)


def iou_worked_pair(device):
    """IoU of (50, 50, 150, 150) and (100, 100, 200, 200): 2500 / 17500."""
    return float(_iou([50, 50, 150, 150], [[100, 100, 200, 200]])[0])


NMS_BOXES = np.array([[100, 100, 210, 210], [105, 110, 215, 220], [120, 95, 220, 200],
                      [300, 300, 400, 420], [310, 290, 405, 410], [150, 160, 260, 270]], float)
NMS_SCORES = np.array([0.95, 0.90, 0.80, 0.85, 0.60, 0.70])


def nms_matches_torch(device):
    """torch-based NMS on the same boxes (pure tensor ops), for the number of kept boxes."""
    b = torch.tensor(NMS_BOXES, device=device)
    s = torch.tensor(NMS_SCORES, device=device)
    order = torch.argsort(s, descending=True)
    keep = []
    while order.numel():
        i = order[0]
        keep.append(int(i))
        rest = order[1:]
        lt = torch.maximum(b[i, :2], b[rest, :2])
        rb = torch.minimum(b[i, 2:], b[rest, 2:])
        inter = (rb - lt).clamp(min=0).prod(1)
        area = lambda x: (x[..., 2] - x[..., 0]) * (x[..., 3] - x[..., 1])
        iou = inter / (area(b[i]) + area(b[rest]) - inter)
        order = rest[iou <= 0.5]
    return len(keep)


def soft_nms_gaussian_decay(device):
    """Gaussian Soft-NMS decay factor exp(-IoU^2 / sigma) for IoU 0.7, sigma 0.5."""
    return math.exp(-(0.7 ** 2) / 0.5)


def _focal(p_t, gamma):
    p = torch.tensor(p_t, dtype=torch.float64)
    ce = -torch.log(p)
    return ce, (1 - p) ** gamma * ce


def focal_factor_easy(device):
    """Modulating factor (1 - p_t)^gamma at p_t = 0.9, gamma = 2, as the ratio FL / CE."""
    ce, fl = _focal(0.9, 2.0)
    return (fl / ce).item()


def focal_factor_hard(device):
    """(1 - p_t)^2 at p_t = 0.1 (a hard example)."""
    ce, fl = _focal(0.1, 2.0)
    return (fl / ce).item()


def ce_at_09(device):
    return _focal(0.9, 2.0)[0].item()


def focal_at_09(device):
    return _focal(0.9, 2.0)[1].item()


# detections of one class on a small test set with 5 ground-truth objects, sorted by score; 1 = true positive
AP_TP = np.array([1, 1, 0, 1, 0, 1, 0, 0])
AP_NGT = 5


def _ap_all_points(tp, n_gt):
    tp = np.asarray(tp, float)
    ctp, cfp = np.cumsum(tp), np.cumsum(1 - tp)
    rec, prec = ctp / n_gt, ctp / (ctp + cfp)
    mrec = np.concatenate([[0.0], rec, [1.0]])
    mpre = np.concatenate([[0.0], prec, [0.0]])
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    idx = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[idx + 1] - mrec[idx]) * mpre[idx + 1]))


def ap_worked_example(device):
    """All-point interpolated AP (VOC 2010+) of the worked list."""
    return _ap_all_points(AP_TP, AP_NGT)


def ap_worked_final_recall(device):
    return float(AP_TP.sum() / AP_NGT)


def ap_worked_11point(device):
    """VOC 2007 11-point interpolated AP of the same list."""
    tp = AP_TP.astype(float)
    ctp = np.cumsum(tp)
    rec, prec = ctp / AP_NGT, ctp / np.arange(1, len(tp) + 1)
    ok = lambda t: rec >= t - 1e-9
    return float(np.mean([prec[ok(t)].max() if ok(t).any() else 0.0 for t in np.linspace(0, 1, 11)]))


def coco_iou_thresholds(device):
    """IoU thresholds 0.50:0.05:0.95 of COCO AP."""
    return len(np.arange(0.50, 0.95 + 1e-9, 0.05))


def bbox_encoding(device):
    """(tx, ty, tw, th) of a ground truth (cx 110, cy 90, w 100, h 100) w.r.t. an anchor (100, 100, 50, 100)."""
    ax, ay, aw, ah = 100.0, 100.0, 50.0, 100.0
    gx, gy, gw, gh = 110.0, 90.0, 100.0, 100.0
    return ((gx - ax) / aw, (gy - ay) / ah, math.log(gw / aw), math.log(gh / ah))


def sliding_windows_count(device):
    """64x128 windows with stride 8 over a 640x480 image, one scale."""
    return sum(1 for _x in range(0, 640 - 64 + 1, 8) for _y in range(0, 480 - 128 + 1, 8))


def _anchors(scales=(128, 256, 512), ratios=(0.5, 1.0, 2.0)):
    out = []
    for r in ratios:
        for s in scales:
            w, h = s / math.sqrt(r), s * math.sqrt(r)
            out.append((-w / 2, -h / 2, w / 2, h / 2))
    return np.array(out)


def anchors_per_position(device):
    return len(_anchors())


def anchors_total_38x50(device):
    """Anchors on a 38x50 feature map (about 600x800 input at stride 16)."""
    base = _anchors()
    ys, xs = np.meshgrid(np.arange(38) * 16, np.arange(50) * 16, indexing="ij")
    shifts = np.stack([xs, ys, xs, ys], -1).reshape(-1, 1, 4)
    return int((shifts + base[None]).reshape(-1, 4).shape[0])


def rpn_head_params(device):
    """RPN head on VGG-16 conv5: 3x3 conv 512->512, then 1x1 convs for 2k scores and 4k offsets (k = 9)."""
    with torch.device("meta"):
        head = nn.ModuleList([nn.Conv2d(512, 512, 3, padding=1), nn.Conv2d(512, 2 * 9, 1), nn.Conv2d(512, 4 * 9, 1)])
    return sum(p.numel() for p in head.parameters())


def roi_quantization_pixels(device):
    """Pixels lost when a 665-px box edge is mapped to a stride-32 feature map and floored."""
    x = 665 / 32
    return (x - math.floor(x)) * 32


def roi_quantization_cells(device):
    x = 665 / 32
    return x - math.floor(x)


def fpn_level(device):
    """FPN RoI level k = floor(k0 + log2(sqrt(wh) / 224)), k0 = 4, for RoIs of side 112, 224, 448."""
    return tuple(int(math.floor(4 + math.log2(math.sqrt(s * s) / 224))) for s in (112, 224, 448))


def rfcn_score_channels(device):
    """Position-sensitive score maps of R-FCN: k^2 (C + 1) with k = 3, C = 80 (COCO)."""
    with torch.device("meta"):
        conv = nn.Conv2d(1024, 3 * 3 * (80 + 1), 1)
    return conv.weight.shape[0]


def yolo_v1_output(device):
    """YOLOv1 output tensor S x S x (B*5 + C), S = 7, B = 2, C = 20."""
    with torch.device("meta"):
        fc = nn.Linear(4096, 7 * 7 * (2 * 5 + 20))
    y = torch.empty(1, fc.out_features, device="meta").view(1, 7, 7, -1)
    return tuple(y.shape[1:])


def yolo_v1_output_numel(device):
    s = yolo_v1_output(device)
    return s[0] * s[1] * s[2]


def yolo_v3_boxes_416(device):
    """Predicted boxes of YOLOv3 at 416x416: strides 32, 16, 8 with 3 anchors per position."""
    return sum((416 // s) ** 2 * 3 for s in (32, 16, 8))


def ssd300_default_boxes(device):
    """SSD300 default boxes: maps 38, 19, 10, 5, 3, 1 with 4, 6, 6, 6, 4, 4 boxes per position."""
    return sum(m * m * k for m, k in zip((38, 19, 10, 5, 3, 1), (4, 6, 6, 6, 4, 4)))


def retinanet_cls_channels(device):
    """RetinaNet classification subnet output channels K * A, K = 80, A = 9."""
    with torch.device("meta"):
        conv = nn.Conv2d(256, 80 * 9, 3, padding=1)
    return conv.weight.shape[0]


def retinanet_prior_bias(device):
    """Bias init b = -log((1 - pi) / pi) with pi = 0.01."""
    pi = 0.01
    return -math.log((1 - pi) / pi)


def giou_disjoint(device):
    """GIoU of (0, 0, 2, 2) and (3, 0, 5, 2): IoU - |C \\ (A u B)| / |C|."""
    a, b = np.array([0, 0, 2, 2.0]), np.array([3, 0, 5, 2.0])
    iou = _iou(a, b[None])[0]
    c = (max(a[2], b[2]) - min(a[0], b[0])) * (max(a[3], b[3]) - min(a[1], b[1]))
    union = 4 + 4 - 0
    return float(iou - (c - union) / c)


def fcos_centerness(device):
    """FCOS centerness for l, r, t, b = 10, 30, 20, 20."""
    left, right, top, bottom = 10.0, 30.0, 20.0, 20.0
    return math.sqrt(min(left, right) / max(left, right) * min(top, bottom) / max(top, bottom))


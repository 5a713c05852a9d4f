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


# ---- chapter 12: parallelism, activation memory, loss spikes -------------------------------------------

def _gpt3_shape():
    """GPT-3 175B as in Korthikanti et al. (2022): sequence, micro-batch, hidden, heads, layers."""
    return 2048, 1, 12288, 96, 96


def gpt3_model_states_tb(device):
    """Mixed-precision Adam model states of a 175e9-parameter model, 16 bytes/param, in TB."""
    return 175e9 * 16 / 1e12


def gpt3_model_states_per_gpu_gb_tp8_pp16(device):
    """The same split 8 x 16 = 128 ways by tensor and pipeline parallelism, in GB per GPU."""
    return 175e9 * 16 / (8 * 16) / 1e9


def gpt3_model_states_per_gpu_gb_tp8_pp16_zero1_dp8(device):
    """With ZeRO-1 over 8 data-parallel replicas: (4 + 12/8) bytes/param on 1/128 of the model, in GB."""
    return 175e9 / (8 * 16) * (4 + 12 / 8) / 1e9


def pipeline_bubble_p16_m64(device):
    p, m = 16, 64
    return (p - 1) / (m + p - 1)


def gpus_tp8_pp16_dp8(device):
    return 8 * 16 * 8


def global_batch_dp8_m64_b1(device):
    return 8 * 64 * 1


def _activation_bytes_per_layer(s, b, h, a, t=1, sp=False, selective=False):
    """Korthikanti et al. (2022): bytes of activations one Transformer layer keeps for backward (16-bit)."""
    attn_scores = 5 * a * s * s * b / t
    if sp:
        rest = 34 * s * b * h / t
    else:
        rest = s * b * h * (10 + 24 / t)
    return rest + (0 if selective else attn_scores)


def gpt3_activation_gb_per_layer(device):
    s, b, h, a, _ = _gpt3_shape()
    return _activation_bytes_per_layer(s, b, h, a) / 1e9


def gpt3_activation_terms_gb(device):
    """(34 s b h, 5 a s^2 b) in GB: the linear-in-s part and the attention-score part."""
    s, b, h, a, _ = _gpt3_shape()
    return (34 * s * b * h / 1e9, 5 * a * s * s * b / 1e9)


def gpt3_selective_recompute_saving(device):
    s, b, h, a, _ = _gpt3_shape()
    full = _activation_bytes_per_layer(s, b, h, a)
    return 1 - _activation_bytes_per_layer(s, b, h, a, selective=True) / full


def gpt3_full_recompute_mb_per_layer(device):
    """Full recomputation keeps only each layer's 16-bit input, 2 s b h bytes, in MB."""
    s, b, h, _, _ = _gpt3_shape()
    return 2 * s * b * h / 1e6


def gpt3_activation_tp8_vs_sp(device):
    """Per-layer activations in units of s*b*h with tensor parallelism t = 8, without and with sequence parallelism."""
    s, b, h, a, _ = _gpt3_shape()
    unit = s * b * h
    return (_activation_bytes_per_layer(s, b, h, a, t=8) / unit,
            _activation_bytes_per_layer(s, b, h, a, t=8, sp=True) / unit)


def gpt3_activation_gb_tp8_sp_selective(device):
    s, b, h, a, _ = _gpt3_shape()
    return _activation_bytes_per_layer(s, b, h, a, t=8, sp=True, selective=True) / 1e9


def adam_spike_update_over_lr(device):
    """First big gradient after a long stretch of near-zero gradients: |update| / lr for beta2 = 0.999 and 0.95."""
    out = []
    for beta2 in (0.999, 0.95):
        p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64, device=device))
        opt = torch.optim.Adam([p], lr=1.0, betas=(0.9, beta2), eps=1e-12)
        for _ in range(2000):                          # quiet phase: tiny gradients, m and v settle near 0
            p.grad = torch.full_like(p, 1e-8)
            opt.step()
        before = p.detach().clone()
        p.grad = torch.ones_like(p)                    # the spike
        opt.step()
        out.append(abs((p.detach() - before).item()))
    return tuple(out)


def zloss_penalty_example(device):
    """PaLM's z-loss 1e-4 * log^2 Z for a logit vector whose log-partition is 30."""
    return 1e-4 * 30.0 ** 2


def gpt3_activation_gb_all_layers(device):
    s, b, h, a, layers = _gpt3_shape()
    return layers * _activation_bytes_per_layer(s, b, h, a) / 1e9


# ---- chapter 13: newer optimizers and schedules ----------------------------------------------------------

def _lion_step(p, grad, m, lr, beta1=0.9, beta2=0.99, wd=0.0):
    """One Lion update (Chen et al., 2023) on tensors; returns the new parameter and momentum."""
    c = beta1 * m + (1 - beta1) * grad
    p = p - lr * (torch.sign(c) + wd * p)
    m = beta2 * m + (1 - beta2) * grad
    return p, m


def lion_state_bytes_per_param(device):
    """Lion keeps only its momentum: bytes of state per fp32 parameter."""
    m = torch.zeros(1000, device=device)
    return m.numel() * m.element_size() / 1000



def adafactor_second_moment_floats_4096(device):
    """(Adam's v, Adafactor's row + column factors) for a 4096 x 4096 weight matrix."""
    n = m = 4096
    return (n * m, n + m)



def shampoo_preconditioner_floats_over_params_4096(device):
    """Shampoo's L (m x m) and R (n x n) for a 4096 x 4096 matrix, relative to the matrix's own size."""
    m = n = 4096
    return (m * m + n * n) / (m * n)


def sam_sharpness_penalties(device):
    """max over |eps| <= rho of L(w* + eps) - L(w*) for L = a w^2 / 2 at rho = 0.05: curvature 100 and 1."""
    rho = 0.05
    return tuple(0.5 * a * rho ** 2 for a in (100.0, 1.0))


def _cosine_lr(t, total, peak, warmup, floor):
    import math
    if t < warmup:
        return peak * (t + 1) / warmup
    progress = (t - warmup) / max(1, total - warmup)
    return floor + 0.5 * (peak - floor) * (1 + math.cos(math.pi * progress))


def _wsd_lr(t, total, peak, warmup, decay_frac):
    decay_start = int(total * (1 - decay_frac))
    if t < warmup:
        return peak * (t + 1) / warmup
    if t < decay_start:
        return peak
    return peak * (1 - (t - decay_start) / (total - decay_start))


def wsd_vs_cosine_mean_lr_ratio(device):
    """Mean learning rate over a run, WSD (20% linear cooldown) over cosine to 10% of peak, 10k steps, 500 warm-up."""
    total, peak, warmup = 10000, 3e-4, 500
    cos = sum(_cosine_lr(t, total, peak, warmup, 0.1 * peak) for t in range(total)) / total
    wsd = sum(_wsd_lr(t, total, peak, warmup, 0.2) for t in range(total)) / total
    return wsd / cos


# ---- chapter 14: scaling laws and batch size -------------------------------------------------------------

def chinchilla_training_flops(device):
    """C = 6 N D for Chinchilla: 70e9 parameters, 1.4e12 tokens."""
    return 6 * 70e9 * 1.4e12


def chinchilla_tokens_per_param(device):
    return 1.4e12 / 70e9


def compute_optimal_n_d_for_1e23(device):
    """With C = 6 N D and D = 20 N: N = sqrt(C / 120), D = 20 N, for C = 1e23 FLOPs."""
    n = (1e23 / 120) ** 0.5
    return (n, 20 * n)


def llama3_8b_tokens_per_param(device):
    """Llama 3 8B was trained on about 15e12 tokens."""
    return 15e12 / 8e9


def critical_batch_tradeoff_at_bcrit(device):
    """McCandlish et al. (2018): S = S_min (1 + B_noise / B), E = E_min (1 + B / B_noise); at B = B_noise both double."""
    b_noise = 1.0
    b = b_noise
    return (1 + b_noise / b, 1 + b / b_noise)


def critical_batch_steps_examples(device):
    """(S/S_min, E/E_min) at B = B_noise / 4 and at B = 4 B_noise."""
    return tuple((1 + 1 / r, 1 + r) for r in (0.25, 4.0))



# ---- answers that had nothing to check --------------------------------------------------------------------

def loader_gpu_utilization(device):
    """GPU busy fraction when loading a batch takes 100 ms on one worker and compute takes 30 ms: W = 1, 2, 4."""
    t_load, t_compute = 0.100, 0.030
    return tuple(t_compute / max(t_load / w, t_compute) for w in (1, 2, 4))


def noise_reuse_factor(device):
    """Times each second of a 1-hour noise clip is reused when mixed into 10,000 hours of speech."""
    return 10000 / 1


def target_share_of_training_set(device):
    """200,000 web images + 5,000 of the 10,000 phone photos in training: share of phone photos."""
    return 5000 / (200000 + 5000)


def efficientnet_compound_factor(device):
    """EfficientNet's alpha * beta^2 * gamma^2 with alpha = 1.2, beta = 1.1, gamma = 1.15 (about 2 FLOPs per phi)."""
    return 1.2 * 1.1 ** 2 * 1.15 ** 2


def pbt_replaced_per_round(device):
    """Members replaced per exploit step with a population of 20 and truncation of the bottom 20%."""
    return int(20 * 0.2)


# ---- checkpointing and weight averaging --------------------------------------------------------------------

def checkpoint_gb_70b(device):
    """Training checkpoint of a 70e9-parameter model: bf16 weights + fp32 master + Adam m and v, 14 bytes/param, GB."""
    return 70e9 * (2 + 4 + 4 + 4) / 1e9


def llama3_hours_between_interruptions(device):
    """Llama 3 report: 419 unexpected interruptions in a 54-day pre-training snapshot."""
    return 54 * 24 / 419


def _young_daly(write_s, mtbf_s):
    tau = (2 * write_s * mtbf_s) ** 0.5
    waste = write_s / tau + tau / (2 * mtbf_s)
    return tau, waste


def checkpoint_interval_min_and_waste(device):
    """Young/Daly interval for 980 GB written at 10 GB/s with one interruption every ~3.09 h: (minutes, lost fraction)."""
    write_s = checkpoint_gb_70b(device) / 10
    mtbf_s = llama3_hours_between_interruptions(device) * 3600
    tau, waste = _young_daly(write_s, mtbf_s)
    return (tau / 60, waste)


def ema_window_09999(device):
    return round(1 / (1 - 0.9999))


def asha_epochs_per_config(device):
    """ASHA with r = 1, eta = 3 and rungs at 1, 3, 9, 27, 81 epochs, training resumed on promotion:
    expected epochs per sampled configuration r (1 + K (1 - 1/eta)), and full training's 81 over it."""
    r, eta, k = 1, 3, 4
    per_config = r * (1 + k * (1 - 1 / eta))
    return (per_config, 81 / per_config)

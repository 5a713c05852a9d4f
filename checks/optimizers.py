"""Checks for optimization algorithms, data splits and error analysis (chapter 13)."""

import math

import numpy as np
import torch


# ---------- momentum, Adam, AdaGrad ----------

def momentum_effective_steps(device):
    """With v <- beta*v + g and a constant gradient g, v converges to g/(1-beta): 1/(1-0.9) = 10 steps' worth."""
    beta, v = 0.9, 0.0
    for _ in range(500):
        v = beta * v + 1.0
    return v


def momentum_ema_window_099(device):
    """Effective averaging window 1/(1-beta) for beta = 0.99."""
    beta, v = 0.99, 0.0
    for _ in range(5000):
        v = beta * v + 1.0
    return v


def _adam_first_step(g_value, lr=1e-3, device="cpu"):
    p = torch.nn.Parameter(torch.tensor([1.0], dtype=torch.float64, device=device))
    opt = torch.optim.Adam([p], lr=lr, betas=(0.9, 0.999), eps=1e-8)
    p.grad = torch.tensor([g_value], dtype=torch.float64, device=device)
    opt.step()
    return (p.detach() - 1.0).item()


def adam_step1_update_small_grad(device):
    """torch.optim.Adam, lr=1e-3, gradient 0.01 at step 1: the update is -lr*sign(g) (up to eps)."""
    return _adam_first_step(0.01, device=device)


def adam_step1_update_large_grad(device):
    """Same with gradient -50: the update is +lr, independent of the gradient's size."""
    return _adam_first_step(-50.0, device=device)


def adam_step1_m_uncorrected(device):
    """m_1 = (1-beta1) g; for g = 0.5 this is 0.05, a tenth of the gradient."""
    g = torch.tensor(0.5, dtype=torch.float64)
    m = torch.zeros((), dtype=torch.float64)
    m = 0.9 * m + (1 - 0.9) * g
    return m.item()


def adam_step1_m_corrected(device):
    """m_hat_1 = m_1 / (1 - beta1^1) equals the gradient 0.5 itself."""
    g = torch.tensor(0.5, dtype=torch.float64)
    m = 0.9 * 0.0 + (1 - 0.9) * g
    return (m / (1 - 0.9 ** 1)).item()


def adam_v_uncorrected_ratio(device):
    """sqrt(v_1) without correction is sqrt(1-beta2) |g| = 0.0316 |g|; the uncorrected step would be ~3.16x lr."""
    beta1, beta2, g = 0.9, 0.999, 1.0
    m = (1 - beta1) * g
    v = (1 - beta2) * g * g
    return m / math.sqrt(v)


def adagrad_lr_ratio_after_100(device):
    """AdaGrad with a constant gradient 1: after 100 steps the effective step is lr/sqrt(100) = 0.1*lr."""
    lr = 1.0
    p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.Adagrad([p], lr=lr, eps=0.0)
    prev = 0.0
    for _ in range(100):
        p.grad = torch.ones(1, dtype=torch.float64)
        prev = p.item()
        opt.step()
    return (prev - p.item()) / lr


def rmsprop_window(device):
    """RMSProp with rho = 0.99 averages squared gradients over about 1/(1-rho) = 100 steps."""
    rho, s = 0.99, 0.0
    for _ in range(5000):
        s = rho * s + 1.0
    return s


# ---------- gradients ----------

def sigmoid_chain_10_layers(device):
    """Upper bound of the gradient factor through 10 sigmoid layers: 0.25^10."""
    x = torch.zeros(1, dtype=torch.float64, device=device, requires_grad=True)
    y = x
    for _ in range(10):
        y = torch.sigmoid(y) - 0.5  # keep the input of every sigmoid at 0, where sigma' = 0.25
    y.sum().backward()
    return x.grad.item()


def exploding_factor_1_1_pow_50(device):
    """Per-layer Jacobian gain 1.1 over 50 layers multiplies the gradient by 1.1^50."""
    x = torch.ones(1, dtype=torch.float64, requires_grad=True)
    y = x
    for _ in range(50):
        y = 1.1 * y
    y.backward()
    return x.grad.item()


def clip_norm_scaled_grad(device):
    """clip_grad_norm_ with max_norm=1 on gradient (3, 4): result (0.6, 0.8)."""
    p = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
    p.grad = torch.tensor([3.0, 4.0], dtype=torch.float64)
    torch.nn.utils.clip_grad_norm_([p], max_norm=1.0)
    return tuple(round(v, 6) for v in p.grad.tolist())


def _f(x):
    return (x ** 3).sum() + torch.sin(x).prod()


def _gradcheck_log10(central: bool) -> int:
    """round(log10) of the relative error between finite differences (h=1e-5, float64) and autograd."""
    torch.manual_seed(0)
    x = torch.randn(5, dtype=torch.float64, requires_grad=True)
    _f(x).backward()
    analytic = x.grad.detach()
    h = 1e-5
    num = torch.zeros(5, dtype=torch.float64)
    with torch.no_grad():
        for i in range(5):
            e = torch.zeros(5, dtype=torch.float64)
            e[i] = h
            num[i] = (_f(x + e) - _f(x - e)) / (2 * h) if central else (_f(x + e) - _f(x)) / h
    rel = (num - analytic).norm() / (num.norm() + analytic.norm())
    return round(math.log10(rel.item()))


def gradcheck_relative_error_log10(device):
    """Central differences vs autograd for f(x)=sum x^3 + prod sin x: the error is O(h^2)."""
    return _gradcheck_log10(central=True)


def gradcheck_forward_diff_log10(device):
    """Same check with one-sided differences f(x+h)-f(x): the error is O(h); for h=1e-5 it rounds to 1e-6 here."""
    return _gradcheck_log10(central=False)


# ---------- linear models ----------

def vif_r2_099(device):
    """Variance inflation factor 1/(1-R^2) when a feature is explained with R^2 = 0.99 by the others."""
    rng = np.random.default_rng(0)
    n = 200000
    x1 = rng.standard_normal(n)
    # x2 = a*x1 + noise with R^2 = a^2/(a^2+s^2) = 0.99
    x2 = x1 + rng.standard_normal(n) * math.sqrt(1 / 0.99 - 1)
    r2 = np.corrcoef(x1, x2)[0, 1] ** 2
    return 1.0 / (1.0 - r2)


def collinear_condition_number(device):
    """Condition number of X^T X for two standardized features with correlation 0.99: (1+r)/(1-r) = 199."""
    r = 0.99
    gram = np.array([[1.0, r], [r, 1.0]])
    return np.linalg.cond(gram)


def overparam_min_samples(device):
    """Linear regression with d = 100 features plus a bias needs at least 101 samples for a unique solution."""
    rng = np.random.default_rng(0)
    d = 100
    for n in range(90, 120):
        X = np.hstack([rng.standard_normal((n, d)), np.ones((n, 1))])
        if np.linalg.matrix_rank(X) == d + 1:
            return n
    return -1


# ---------- mini-batches, second order ----------

def steps_per_epoch_cifar(device):
    """50,000 training images, batch size 128, keep the last partial batch: ceil(50000/128)."""
    ds = torch.utils.data.TensorDataset(torch.zeros(50000, 1))
    return len(torch.utils.data.DataLoader(ds, batch_size=128))


def hessian_bytes_1m_params(device):
    """A full Hessian for 1M parameters in fp32: (1e6)^2 entries x 4 bytes = 4e12 bytes (4 TB)."""
    n = 10 ** 6
    return n * n * torch.tensor([], dtype=torch.float32).element_size()


def _newton_one_step_quadratic(device):
    """Newton's method on f(x) = 0.5 x^T A x - b^T x reaches the minimum in one step: distance after 1 step."""
    A = torch.tensor([[10.0, 2.0], [2.0, 1.0]], dtype=torch.float64)
    b = torch.tensor([1.0, 1.0], dtype=torch.float64)
    x = torch.zeros(2, dtype=torch.float64)
    g = A @ x - b
    x = x - torch.linalg.solve(A, g)
    return round((x - torch.linalg.solve(A, b)).norm().item(), 12)


# ---------- evaluation and error analysis ----------

def bias_variance_example(device):
    """Human 1%, train 8%, dev 10%: (avoidable bias, variance) in percentage points."""
    human, train, dev = 1.0, 8.0, 10.0
    return round(train - human, 6), round(dev - train, 6)


def bias_variance_example2(device):
    """Human 1%, train 1.5%, dev 9%: (avoidable bias, variance)."""
    human, train, dev = 1.0, 1.5, 9.0
    return round(train - human, 6), round(dev - train, 6)


def error_analysis_ceiling(device):
    """Dev error 10%; 5 of 100 inspected errors are dogs: fixing all dog errors gives at best 10% * (1 - 5/100)."""
    dev_err, share = 0.10, 5 / 100
    return round(dev_err * (1 - share), 6)


def error_analysis_ceiling_big(device):
    """Same, when 50 of 100 inspected errors are blurry images: at best 10% * (1 - 0.5)."""
    return round(0.10 * (1 - 50 / 100), 6)


def data_mismatch_example(device):
    """Train 2%, train-dev 2.5%, dev 9%: (variance, data mismatch) in percentage points."""
    train, train_dev, dev = 2.0, 2.5, 9.0
    return round(train_dev - train, 6), round(dev - train_dev, 6)


def dev_size_1m_1pct(device):
    """1% of 1,000,000 examples."""
    idx = torch.randperm(1_000_000, generator=torch.Generator().manual_seed(0))
    return len(idx[: len(idx) // 100])


def dev_std_error_10k(device):
    """Standard error of an accuracy of 90% measured on 10,000 dev examples, in percentage points."""
    p, n = 0.9, 10_000
    return round(100 * math.sqrt(p * (1 - p) / n), 6)


def f1_example(device):
    """F1 for precision 0.95 and recall 0.90: harmonic mean."""
    p, r = 0.95, 0.90
    return 2 * p * r / (p + r)


def mislabeled_share_at_2pct(device):
    """0.6 percentage points of label errors out of a 2% overall dev error: their share of all errors."""
    return round(0.6 / 2.0, 6)

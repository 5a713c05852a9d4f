"""Checks for chapter 10 (reinforcement learning) questions."""


import numpy as np
import torch


def _diag_gaussian_log_prob(a, mu, log_std):
    a, mu, log_std = (torch.as_tensor(x, dtype=torch.float64) for x in (a, mu, log_std))
    return torch.distributions.Normal(mu, log_std.exp()).log_prob(a).sum(-1)


def ppo_gaussian_ratio(device):
    """PPO ratio for a 2-D diagonal Gaussian policy: action (0.5, -0.2), old mean (0, 0), new mean (0.1, -0.1), std 1."""
    a = [0.5, -0.2]
    new = _diag_gaussian_log_prob(a, [0.1, -0.1], [0.0, 0.0])
    old = _diag_gaussian_log_prob(a, [0.0, 0.0], [0.0, 0.0])
    return float(torch.exp(new - old))


def trpo_bernoulli_kl(device):
    """KL([0.5, 0.5] || [0.6, 0.4]) in nats: one policy step on a two-action state."""
    p = torch.tensor([0.5, 0.5], dtype=torch.float64)
    q = torch.tensor([0.6, 0.4], dtype=torch.float64)
    return float((p * (p / q).log()).sum())


def trpo_gaussian_kl_mean_shift(device):
    """KL(N(0, 1) || N(0.1, 1)) = 0.1^2 / 2, by torch.distributions."""
    a = torch.distributions.Normal(torch.tensor(0.0, dtype=torch.float64), 1.0)
    b = torch.distributions.Normal(torch.tensor(0.1, dtype=torch.float64), 1.0)
    return float(torch.distributions.kl_divergence(a, b))


_PPO_RATIOS = [1.1, 0.95, 1.3, 0.85]


def ppo_approx_kl_k3(device):
    """Mean of (r - 1) - log r over the sample ratios: the low-variance KL estimator PPO code logs."""
    r = torch.tensor(_PPO_RATIOS, dtype=torch.float64)
    return float(((r - 1) - r.log()).mean())


def ppo_clip_fraction(device):
    r = torch.tensor(_PPO_RATIOS, dtype=torch.float64)
    return float(((r - 1).abs() > 0.2).double().mean())


def sac_unit_gaussian_entropy(device):
    """Differential entropy of N(0, 1) in nats: 0.5 * log(2 pi e)."""
    return float(torch.distributions.Normal(torch.tensor(0.0, dtype=torch.float64), 1.0).entropy())


def sac_soft_value_example(device):
    """Soft state value alpha * logsumexp(Q / alpha) for Q = (1, 2, 3), alpha = 0.5 (discrete actions)."""
    q = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    return float(0.5 * torch.logsumexp(q / 0.5, 0))


def cql_regulariser_example(device):
    """CQL term logsumexp_a Q(s, a) - Q(s, a_data) for Q(s, .) = (1, 2, 3) and the data action 0."""
    q = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    return float(torch.logsumexp(q, 0) - q[0])


def muzero_bootstrap_weight(device):
    """Weight of the bootstrapped value in MuZero's 10-step target with gamma = 0.997."""
    return 0.997 ** 10


def rlhf_sequence_reward(device):
    """Reward-model score 1.5 minus beta = 0.1 times the summed per-token log-ratios (0.2, -0.1, 0.5)."""
    log_ratio = np.array([0.2, -0.1, 0.5])
    return 1.5 - 0.1 * float(log_ratio.sum())


def _reinforce_grad_variance(baseline):
    """Exact variance of the one-sample REINFORCE gradient on a two-armed bandit at theta = 0.

    pi(arm 1) = sigmoid(theta) = 0.5; arm 1 pays N(11, 1), arm 0 pays N(9, 1);
    d log pi / d theta is 1 - p for arm 1 and -p for arm 0.
    """
    p, noise_var = 0.5, 1.0
    arms = [(p, 1 - p, 11.0), (1 - p, -p, 9.0)]           # (probability, d log pi, mean reward)
    second_moment = sum(pr * g * g * (noise_var + (mu - baseline) ** 2) for pr, g, mu in arms)
    mean = sum(pr * g * (mu - baseline) for pr, g, mu in arms)
    return second_moment - mean ** 2


def reinforce_variances(device):
    """(variance without baseline, variance with the baseline b = E[R] = 10)."""
    return (_reinforce_grad_variance(0.0), _reinforce_grad_variance(10.0))


def reinforce_true_gradient(device):
    """d/dtheta of E[R] = sigmoid(theta) * 11 + (1 - sigmoid(theta)) * 9 at theta = 0, by autograd."""
    theta = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    p = torch.sigmoid(theta)
    (p * 11 + (1 - p) * 9).backward()
    return float(theta.grad)


_GAE_REWARDS, _GAE_VALUES, _GAE_GAMMA, _GAE_LAMBDA = [1.0, 1.0, 1.0], [0.5, 0.6, 0.7], 0.9, 0.95


def _gae(lam):
    r, v, g = _GAE_REWARDS, _GAE_VALUES + [0.0], _GAE_GAMMA
    adv, running = [], 0.0
    for t in reversed(range(len(r))):
        delta = r[t] + g * v[t + 1] - v[t]
        running = delta + g * lam * running
        adv.append(running)
    return adv[::-1]


def _lambda_return_0(lam):
    """Forward view: G^lambda_0 as the (1 - lambda)-weighted mix of n-step returns, the tail weight on the MC return."""
    r, v, g = _GAE_REWARDS, _GAE_VALUES + [0.0], _GAE_GAMMA
    T = len(r)
    n_step = []
    for n in range(1, T + 1):
        ret = sum(g ** k * r[k] for k in range(n)) + g ** n * v[n]
        n_step.append(ret)
    weights = [(1 - lam) * lam ** (n - 1) for n in range(1, T)] + [lam ** (T - 1)]
    return sum(w * x for w, x in zip(weights, n_step))


def gae_forward_backward(device):
    """(A_0 by the backward recursion, G^lambda_0 - V(s_0) by the forward view): the two agree."""
    return (_gae(_GAE_LAMBDA)[0], _lambda_return_0(_GAE_LAMBDA) - _GAE_VALUES[0])


def gae_extremes(device):
    """A_0 at lambda = 0 (one-step TD error) and at lambda = 1 (Monte Carlo return minus V)."""
    return (_gae(0.0)[0], _gae(1.0)[0])


def grpo_advantages(device):
    """Group-normalised advantages for rewards (1, 0, 0, 0), population standard deviation."""
    r = torch.tensor([1.0, 0.0, 0.0, 0.0], dtype=torch.float64)
    a = (r - r.mean()) / r.std(unbiased=False)
    return tuple(float(x) for x in a)


def grpo_kl_k3(device):
    """GRPO's per-token KL estimate pi_ref/pi - log(pi_ref/pi) - 1 for pi = 0.5, pi_ref = 0.4."""
    ratio = torch.tensor(0.4 / 0.5, dtype=torch.float64)
    return float(ratio - ratio.log() - 1)

"""Checks for reinforcement learning (chapter 10): returns, value iteration, TD updates, PPO."""

import math

import numpy as np


def _discounted_return(rewards, gamma):
    g = 0.0
    for r in reversed(rewards):
        g = r + gamma * g
    return g


def discounted_return_example(device):
    """G_0 for rewards [1, 0, 0, 2, 1] with gamma = 0.9."""
    return _discounted_return([1.0, 0.0, 0.0, 2.0, 1.0], 0.9)


def effective_horizon_099(device):
    """Sum of gamma^k over k >= 0 (= 1/(1-gamma)) for gamma = 0.99, summed numerically."""
    k = np.arange(20000)
    return float(np.sum(0.99 ** k))


def effective_horizon_09(device):
    k = np.arange(5000)
    return float(np.sum(0.9 ** k))


def _constant_reward_value(device):
    """Return of a reward of 1 at every step forever with gamma = 0.9, by the recursion G = 1 + gamma G."""
    g = 0.0
    for _ in range(2000):
        g = 1.0 + 0.9 * g
    return g


def _grid_mdp(n=3, p_success=0.8):
    """n x n grid, goal at bottom-right (terminal), +1 on entering it, 0 otherwise.
    Actions up/down/left/right succeed with p_success, otherwise the agent stays put; walls keep it in place."""
    S = n * n
    goal = S - 1
    moves = [(-1, 0), (1, 0), (0, -1), (0, 1)]
    P = np.zeros((4, S, S))
    R = np.zeros((4, S, S))
    for s in range(S):
        r, c = divmod(s, n)
        for a, (dr, dc) in enumerate(moves):
            if s == goal:
                P[a, s, s] = 1.0
                continue
            rr, cc = r + dr, c + dc
            s2 = rr * n + cc if 0 <= rr < n and 0 <= cc < n else s
            P[a, s, s2] += p_success
            P[a, s, s] += 1 - p_success
            R[a, s, goal] = 1.0
    return P, R, goal


def _value_iteration(gamma=0.9, tol=1e-12):
    P, R, goal = _grid_mdp()
    V = np.zeros(P.shape[1])
    sweeps = 0
    while True:
        Q = np.einsum("ast,ast->as", P, R + gamma * V[None, None, :])
        Q[:, goal] = 0.0
        V_new = Q.max(axis=0)
        sweeps += 1
        if np.max(np.abs(V_new - V)) < tol:
            return V_new, sweeps
        V = V_new


def grid_value_start(device):
    """V*(start) for the 3x3 grid with slip 0.2 and gamma 0.9."""
    V, _ = _value_iteration()
    return float(V[0])


def grid_value_next_to_goal(device):
    V, _ = _value_iteration()
    return float(V[5])


def q_learning_update(device):
    """Q(s,a)=0.5, r=1, gamma=0.9, max_a' Q(s',a')=0.8, alpha=0.1."""
    q, r, gamma, alpha = 0.5, 1.0, 0.9, 0.1
    q_next = np.array([0.8, 0.4, -0.2])
    td_target = r + gamma * q_next.max()
    return q + alpha * (td_target - q)


def q_learning_td_error(device):
    q, r, gamma = 0.5, 1.0, 0.9
    q_next = np.array([0.8, 0.4, -0.2])
    return r + gamma * q_next.max() - q


def sarsa_update(device):
    """Same transition, but the behaviour policy actually picks the action with Q(s',a')=0.4."""
    q, r, gamma, alpha = 0.5, 1.0, 0.9, 0.1
    q_next = np.array([0.8, 0.4, -0.2])
    return q + alpha * (r + gamma * q_next[1] - q)


def epsilon_greedy_best_prob(device):
    """Probability that epsilon-greedy (eps=0.1, 4 actions) picks the greedy action."""
    eps, n = 0.1, 4
    probs = np.full(n, eps / n)
    probs[0] += 1 - eps
    return float(probs[0])


def max_of_normals_bias(device):
    """E[max of 10 iid N(0,1)]: the overestimation of max over noisy Q estimates whose true values are all 0."""
    x = np.linspace(-10, 10, 200001)
    pdf = np.exp(-x ** 2 / 2) / math.sqrt(2 * math.pi)
    cdf = np.cumsum(pdf) * (x[1] - x[0])
    n = 10
    dens = n * pdf * cdf ** (n - 1)
    return float(np.trapezoid(x * dens, x))


def ppo_clipped_objective(device):
    """min(r A, clip(r, 1-eps, 1+eps) A) for r = 1.5, A = 2, eps = 0.2."""
    r, A, eps = 1.5, 2.0, 0.2
    return min(r * A, float(np.clip(r, 1 - eps, 1 + eps)) * A)


def ppo_clipped_objective_negative(device):
    """Same with A = -2 and r = 0.5: min picks the clipped term, so the gradient is zero."""
    r, A, eps = 0.5, -2.0, 0.2
    return min(r * A, float(np.clip(r, 1 - eps, 1 + eps)) * A)


def per_sampling_probs(device):
    """Prioritized replay: P(i) = p_i^alpha / sum p^alpha with priorities [4, 1, 1, 2] and alpha = 0.6."""
    p = np.array([4.0, 1.0, 1.0, 2.0]) ** 0.6
    return tuple(float(x) for x in np.round(p / p.sum(), 3))


def per_priority_ratio(device):
    """Prioritized replay with alpha = 0.6: a priority 4 times larger gives 4 ** 0.6 times the probability."""
    p = np.array([4.0, 1.0]) ** 0.6
    return float(p[0] / p[1])


def reinforce_grad_example(device):
    """Softmax policy with logits [0, 0]: grad of log pi(a0) w.r.t. the logits is onehot - pi = (0.5, -0.5)."""
    import torch
    theta = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    torch.log_softmax(theta, 0)[0].backward()
    return tuple(theta.grad.tolist())


def gae_example(device):
    """GAE advantage A_0 for rewards [1, 1, 1], values [0.5, 0.6, 0.7, 0] (bootstrap 0), gamma 0.9, lambda 0.95."""
    r = np.array([1.0, 1.0, 1.0])
    v = np.array([0.5, 0.6, 0.7, 0.0])
    gamma, lam = 0.9, 0.95
    delta = r + gamma * v[1:] - v[:-1]
    adv = 0.0
    for d in reversed(delta):
        adv = d + gamma * lam * adv
    return adv

"""Checks for chapter 7 additions: diffusion, VAE, flow matching, guidance, latent diffusion, DiT, evaluation."""

import math

import numpy as np
import torch


def cfg_nfe_50_steps(device):
    """Network evaluations for 50 sampling steps with classifier-free guidance (conditional + unconditional pass)."""
    return 50 * 2


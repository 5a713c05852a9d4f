"""Checks for the roofline arithmetic-intensity examples of chapter 17 (compress-flops-vs-latency)."""


def _conv_intensity(h, w, c_in, c_out, k, groups=1, bytes_per=4):
    """FLOPs per byte of one convolution: 2 FLOPs per multiply-add; bytes = input + output + weights, read or
    written once (the best case a kernel can reach)."""
    macs = h * w * c_out * (c_in // groups) * k * k
    weights = c_out * (c_in // groups) * k * k
    moved = (h * w * c_in + h * w * c_out + weights) * bytes_per
    return 2 * macs / moved


def intensity_depthwise_3x3(device):
    """3x3 depthwise convolution, 112x112x32, FP32."""
    return _conv_intensity(112, 112, 32, 32, 3, groups=32)


def intensity_pointwise_32_64(device):
    """1x1 convolution 32 -> 64 channels at 112x112, FP32."""
    return _conv_intensity(112, 112, 32, 64, 1)


def intensity_standard_3x3_256(device):
    """3x3 convolution 256 -> 256 channels at 28x28, FP32."""
    return _conv_intensity(28, 28, 256, 256, 3)


def ridge_point_v100_fp32(device):
    """V100: 15.7 TFLOPS FP32 over 900 GB/s."""
    return 15.7e12 / 900e9


def deep_compression_alexnet_ratio(device):
    """Han et al. (2016): AlexNet from 240 MB to 6.9 MB."""
    return 240 / 6.9


def dram_vs_fp32_mult_energy(device):
    """Horowitz (2014), 45 nm: 32-bit DRAM read 640 pJ against a 32-bit float multiply 3.7 pJ."""
    return 640 / 3.7

"""Checks for chapter 9 (segmentation) questions added or corrected by helper C3."""


def deeplab_largefov_fc6_weights(device):
    """DeepLab-LargeFOV fc6: a 3x3 kernel over 512 channels into 1024 (Chen et al., 2015)."""
    return 3 * 3 * 512 * 1024


def deeplab_vgg_fc6_weights(device):
    """VGG16's fc6 seen as a 7x7 convolution over 512 channels into 4096."""
    return 7 * 7 * 512 * 4096


def deeplab_largefov_fc6_ratio(device):
    return deeplab_vgg_fc6_weights(device) / deeplab_largefov_fc6_weights(device)


def deeplab_largefov_effective_kernel(device):
    """A 3x3 kernel with dilation 12 spans 2*12+1 cells."""
    k, r = 3, 12
    return (k - 1) * r + 1


"""Numeric checks that guard the claims in the book. Each public function takes a device name."""


def on(*devices):
    """Declare the devices a check is meaningful on, e.g. @on("cuda") for a TF32 error bound."""
    def mark(fn):
        fn.dl500_devices = tuple(devices)
        return fn
    return mark

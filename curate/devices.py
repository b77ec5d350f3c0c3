"""Which device a computation runs on: the one answer for every stage (embedding, MinHash
signatures, k-means and k-center), on this machine.

An engine that runs work elsewhere (Ray's GPU workers) decides from its cluster instead
(``ctx.ops.device``); this module answers for the machine the code runs on."""

from __future__ import annotations

import os
import sys

from curate.errors import ConfigError

DEVICES = ("auto", "cpu", "cuda", "mps")


def cuda_available() -> bool:
    """A CUDA GPU torch can use. On Linux a machine without the NVIDIA device files has
    none, which is known without importing torch (seconds and hundreds of MB)."""
    if sys.platform.startswith("linux") and not (os.path.exists("/dev/nvidia0") or os.path.exists("/dev/nvidiactl")):
        return False
    import torch

    return bool(torch.cuda.is_available())


def mps_available() -> bool:
    """Apple's Metal backend (only on macOS)."""
    if sys.platform != "darwin":
        return False
    import torch

    return bool(torch.backends.mps.is_available())


def resolve(requested: str, *, setting: str, mps: bool = False) -> str:
    """The device for ``requested``: ``auto`` takes a CUDA GPU when there is one, then
    (where the computation can use it, ``mps``) Apple's GPU, else the CPU; ``cuda`` or
    ``mps`` must be present, or the error names ``setting``."""
    if requested not in DEVICES:
        raise ConfigError(f"{setting}: unknown device {requested!r}; devices are {', '.join(DEVICES)}")
    if requested == "cpu":
        return "cpu"
    if requested == "cuda":
        if not cuda_available():
            raise ConfigError(f"{setting}: cuda was asked for, but torch sees no CUDA device (use auto or cpu)")
        return "cuda"
    if requested == "mps":
        if not (mps and mps_available()):
            raise ConfigError(f"{setting}: mps was asked for, but torch sees no MPS device (use auto or cpu)")
        return "mps"
    if cuda_available():
        return "cuda"
    if mps and mps_available():
        return "mps"
    return "cpu"

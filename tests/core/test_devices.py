"""One answer to "which device": auto takes the GPU when there is one, an explicit device
must be there, and the error names the setting."""

from __future__ import annotations

import pytest
import torch

from curate.devices import cuda_available, resolve
from curate.errors import ConfigError


def test_device_resolution_on_this_machine():
    assert cuda_available() == torch.cuda.is_available()
    assert resolve("cpu", setting="embed.device") == "cpu"
    if torch.cuda.is_available():
        assert resolve("auto", setting="embed.device") == resolve("cuda", setting="embed.device") == "cuda"
    else:
        assert resolve("auto", setting="dedupe.device") == "cpu"
        with pytest.raises(ConfigError, match="^embed.device: cuda was asked for, but torch sees no CUDA device"):
            resolve("cuda", setting="embed.device")
    # a computation that cannot use Apple's GPU never gets it
    with pytest.raises(ConfigError, match="^select.clusters.device: mps"):
        resolve("mps", setting="select.clusters.device", mps=False)
    with pytest.raises(ConfigError, match="unknown device"):
        resolve("tpu", setting="embed.device")

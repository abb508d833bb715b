"""The one place that picks the device the notebooks run on."""
from __future__ import annotations

import torch


def pick_device() -> torch.device:
    """The best device here: CUDA, then Apple's MPS, then the CPU.

    The library itself never chooses a device: its tensors follow their inputs. Only
    the notebooks call this, once, and move the model and data there.

    Examples:
        >>> pick_device().type in {"cuda", "mps", "cpu"}
        True
    """
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")

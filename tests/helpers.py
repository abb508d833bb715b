"""Helpers shared by the tests."""
import torch

PEEPHOLE_IDS = ["none", "channel", "spatial"]


def randomize_(module, seed=0, scale=0.5):
    """Give every parameter random values, so that zero-initialised peepholes matter too."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=p.dtype) * scale)
    return module


def run_steps(cell, xs, state=None):
    """Run ``cell`` over a list of inputs; return the list of ``h`` and the final state."""
    hs = []
    for x in xs:
        state = cell(x, state)
        hs.append(state[0])
    return torch.stack(hs), state

"""What a ConvLSTM cell computes step by step: its gates and states, recorded for pictures."""
from __future__ import annotations

import torch


@torch.no_grad()
def record_gates(cell, frames: torch.Tensor, state=None) -> dict:
    """Run ``cell`` over a sequence and keep every gate and state at every step.

    Args:
        cell: a :class:`~convlstm.cells.ConvLSTMCell` (or :class:`~convlstm.cells.FCLSTMCell`).
        frames: the inputs, ``(B, T, C, ...)``.
        state: the initial ``(h, c)``, zeros if None.

    Returns:
        ``{"i", "f", "g", "o", "c", "h"}``, each ``(B, T, C_h, ...)``: the input, forget and
        output gates, the candidate, and the cell and hidden states after each step.

    Examples:
        >>> from convlstm import ConvLSTMCell
        >>> rec = record_gates(ConvLSTMCell(1, 3), torch.rand(2, 4, 1, 8, 8))
        >>> sorted(rec), tuple(rec["f"].shape)
        (['c', 'f', 'g', 'h', 'i', 'o'], (2, 4, 3, 8, 8))
    """
    if not isinstance(frames, torch.Tensor) or frames.dim() < 3:
        got = tuple(frames.shape) if isinstance(frames, torch.Tensor) else type(frames).__name__
        raise ValueError(f"record_gates: expected frames of shape (B, T, C, ...), got {got}")
    steps = {k: [] for k in ("i", "f", "g", "o", "c", "h")}
    for x_t in frames.unbind(1):  # each (B, C, ...)
        state, gates = cell.gates(x_t, state)
        for name, value in gates.items():
            steps[name].append(value)
        steps["h"].append(state[0])
        steps["c"].append(state[1])
    return {name: torch.stack(values, dim=1) for name, values in steps.items()}  # each (B, T, C_h, ...)

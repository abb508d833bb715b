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


def memory_gradient(forget, steps: int | None = None, input_gate: float = 0.5,
                    candidate: float = 0.5, c0: float = 0.0) -> torch.Tensor:
    r"""How much the last memory depends on each earlier one: :math:`\partial c_T / \partial c_t`.

    Builds the memory line alone, :math:`c_t = f_t c_{t-1} + i_t g_t` for
    :math:`t = 1 \dots T`, with the gates held fixed (so they do not depend on
    :math:`c`), and asks autograd for the gradient of :math:`c_T` with respect to every
    :math:`c_t`. The chain rule gives :math:`\partial c_t / \partial c_{t-1} = f_t`, so

    .. math::
        \frac{\partial c_T}{\partial c_t} = \prod_{s=t+1}^{T} f_s \quad (= f^{T-t}
        \text{ for a constant } f),

    a product of forget-gate values: the memory carries a gradient as far as the forget gate
    stays open. The input gate and the candidate add to :math:`c` but do not change this.

    Args:
        forget: one forget value for every step (then ``steps`` is needed), or the sequence
            ``f_1 ... f_T``; each in [0, 1].
        steps: ``T``, when ``forget`` is a number.
        input_gate, candidate, c0: the fixed ``i``, ``g`` and the first memory ``c_0``.

    Returns:
        ``(T + 1,)`` float64 tensor: entry ``t`` is :math:`\partial c_T / \partial c_t`, for
        ``t = 0 ... T`` (the last is 1).

    Examples:
        >>> memory_gradient(0.5, steps=3)
        tensor([0.1250, 0.2500, 0.5000, 1.0000], dtype=torch.float64)
    """
    f = torch.as_tensor(forget, dtype=torch.float64)
    if f.dim() == 0:
        if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
            raise ValueError(
                f"memory_gradient: a single forget value needs steps >= 1, got steps={steps!r}")
        f = f.expand(steps)
    elif f.dim() != 1 or len(f) == 0 or (steps is not None and steps != len(f)):
        raise ValueError(f"memory_gradient: expected forget as a number or a sequence of T values "
                         f"(and steps None or T), got shape {tuple(f.shape)} and steps={steps!r}")
    if bool(((f < 0) | (f > 1)).any()):
        raise ValueError(f"memory_gradient: expected forget values in [0, 1], got {f.tolist()}")
    with torch.enable_grad():
        memories = [torch.tensor(float(c0), dtype=torch.float64, requires_grad=True)]
        for f_t in f:  # c_t = f_t c_{t-1} + i g, each a scalar
            memories.append(f_t * memories[-1] + input_gate * candidate)
        grads = torch.autograd.grad(memories[-1], memories[:-1])  # dc_T/dc_t for t < T
    return torch.stack([*grads, torch.ones((), dtype=torch.float64)])

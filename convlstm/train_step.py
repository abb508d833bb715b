"""One training step of :func:`~convlstm.training.fit`, run eagerly or replayed as a CUDA graph.

A step is: forward under autocast (or not), the mean cross-entropy per sequence in float32,
backward, gradient clipping, optimizer step. On a GPU a small step spends most of its time
launching kernels (the paper's model at batch 8 on an H200: 49 ms eager against 16 ms as a
graph, issue 13). A CUDA graph records the step's kernels once and replays them with one
launch; it needs fixed shapes and addresses, so the batch is copied into fixed input
tensors, the optimizer keeps its step count on the GPU (``capturable=True``), and a last
batch of another size runs eagerly into the same gradient tensors.
"""
from __future__ import annotations

import warnings

import torch

from .metrics import sequence_cross_entropy


def graph_plan(device, world: int, enabled: bool = True) -> tuple[bool, str | None]:
    """Whether to run the step as a CUDA graph, and if not, why not.

    Examples:
        >>> graph_plan(torch.device("cpu"), 1)
        (False, 'not a CUDA device')
    """
    if not enabled:
        return False, "switched off (cuda_graph=False)"
    if torch.device(device).type != "cuda":
        return False, "not a CUDA device"
    if world > 1:
        return False, "DistributedDataParallel synchronizes outside the graph"
    return True, None


class EagerStep:
    """``step(frames)``: one training step on a batch ``(B, T, C, H, W)``; returns the detached loss."""

    def __init__(self, model, optimizer, input_steps: int, clip: float | None, amp: bool):
        self.model, self.optimizer = model, optimizer
        self.input_steps, self.clip, self.amp = input_steps, clip, amp
        self.steps = 0  # how many have run
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.keep_grads = False  # a CUDA graph owns the gradient tensors: zero them in place

    def compute(self, frames, in_graph: bool = False):
        """Forward, loss, backward, clipping and optimizer step; the loss (0-dim, float32)."""
        observed, target = frames[:, : self.input_steps], frames[:, self.input_steps :]
        # No autocast weight cache inside a graph: cached casts would be stale on replay.
        with torch.autocast(frames.device.type, dtype=torch.bfloat16, enabled=self.amp,
                            cache_enabled=False if in_graph else None):
            logits = self.model(observed, future=target.shape[1])  # (B, T_out, C, H, W)
        # fit checked the frames once when it read them; a check here would sync every step
        # and could not run inside a CUDA graph.
        loss = sequence_cross_entropy(logits.float(), target, check_range=False)
        loss.backward()
        if self.clip is not None:
            torch.nn.utils.clip_grad_norm_(self.params, self.clip)
        self.optimizer.step()
        return loss.detach()

    def __call__(self, frames):
        self.optimizer.zero_grad(set_to_none=not self.keep_grads)
        self.steps += 1
        return self.compute(frames)


class GraphedStep:
    """A captured :class:`EagerStep` for batches of one shape; other shapes run eagerly."""

    def __init__(self, eager: EagerStep, frames):
        self.eager, self.amp, self.steps = eager, eager.amp, eager.steps
        self.frames = frames.clone()  # the graph's fixed input
        eager.optimizer.zero_grad(set_to_none=True)  # the backward in the graph makes the grads
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self.loss = eager.compute(self.frames, in_graph=True)
        eager.keep_grads = True

    def __call__(self, frames):
        self.steps += 1
        if frames.shape != self.frames.shape:
            return self.eager(frames)
        self.frames.copy_(frames)
        self.graph.replay()
        return self.loss.clone()


WARMUP_STEPS = 3  # eager steps before capture: cuDNN's plans and the optimizer's state get made


def warm_up(eager: EagerStep, frames):
    """One eager step on a side stream, as CUDA graph capture wants its warm-up run; the loss."""
    device = frames.device
    side = torch.cuda.Stream(device)
    side.wait_stream(torch.cuda.current_stream(device))
    with torch.cuda.stream(side):
        loss = eager(frames)
    torch.cuda.current_stream(device).wait_stream(side)
    return loss


def capture_step(eager: EagerStep, frames):
    """``(GraphedStep, None)``, or ``(eager, why)`` with a warning when capture fails.

    Run after :data:`WARMUP_STEPS` steps of :func:`warm_up`, so that lazy initialization
    (cuDNN plans, optimizer state) is done before capture.
    """
    try:
        return GraphedStep(eager, frames), None
    except Exception as error:  # an op that cannot be captured, a sync inside the model, ...
        why = f"{type(error).__name__}: {(str(error).strip().splitlines() or [''])[0][:200]}"
        warnings.warn(f"fit: the training step runs without a CUDA graph, because capture failed ({why})",
                      stacklevel=3)
        eager.optimizer.zero_grad(set_to_none=True)
        eager.keep_grads = False
        return eager, why

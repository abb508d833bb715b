"""Ways to run the same model for the benchmark: which cells, memory layout, precision, launch."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .cells import ReferenceConvLSTMCell
from .flops import BenchConfig
from .layers import ConvLSTM
from .metrics import sequence_cross_entropy


def _stacks(model) -> list:
    """The :class:`ConvLSTM` stacks inside ``model``."""
    return [m for m in model.modules() if isinstance(m, ConvLSTM)]


def use_reference_cells(model):
    """Swap every fused :class:`ConvLSTMCell` in ``model`` for an eight-convolution copy."""
    for stack in _stacks(model):
        for index, cell in enumerate(stack.cells):
            ref = ReferenceConvLSTMCell(cell.in_channels, cell.hidden_channels, cell.kernel_size,
                                        cell.hidden_kernel_size, bias=cell.gate_bias() is not None,
                                        peephole=cell.peephole, frame_size=cell.frame_size)
            stack.cells[index] = ref.to(cell.hidden_weight()).load_fused(cell)
    return model


def compile_cells(model):
    """Compile each cell (a small graph, reused at every step) rather than the unrolled sequence."""
    # One compiled graph per cell and kind of call (the first step makes its own zero state),
    # more than dynamo's default of 8 before it falls back to running uncompiled.
    cells = sum(len(stack.cells) for stack in _stacks(model))
    torch._dynamo.config.recompile_limit = max(torch._dynamo.config.recompile_limit, 4 * cells)
    # The compiled CPU kernels are small elementwise loops. Run in parallel, they bring a second
    # OpenMP thread pool that spins against PyTorch's own between kernels: on 2 cores that made
    # the tiny configuration's step 100 times slower (0.5 s instead of 5 ms). One thread each.
    import torch._inductor.config as inductor_config

    inductor_config.cpp.threads = 1
    for stack in _stacks(model):
        for cell in stack.cells:
            cell.compile(dynamic=False)
    return model


@dataclass(frozen=True)
class Variant:
    """One way to run the same model: which cells, memory layout, precision and launch."""

    name: str
    reference: bool = False
    channels_last: bool = False
    compile: bool = False
    bf16: bool = False  # bfloat16 autocast
    cuda_graph: bool = False
    cuda_only: bool = False  # CUDA graphs exist on CUDA only; bf16 rows run wherever bf16 does


VARIANTS = [
    Variant("reference (8 convs)", reference=True),
    Variant("fused"),
    Variant("fused + channels_last", channels_last=True),
    Variant("fused + torch.compile", compile=True),
    Variant("fused + bf16 autocast", bf16=True),
    Variant("fused + bf16 + CUDA graph", bf16=True, cuda_graph=True, cuda_only=True),
]


class _Rollout(torch.nn.Module):
    """``model(frames, future=T)`` as a one-tensor callable (what CUDA graph capture needs)."""

    def __init__(self, model, future: int):
        super().__init__()
        self.model, self.future = model, future

    def forward(self, frames):
        return self.model(frames, future=self.future)


def _precision(device, variant: Variant):
    """The variant's autocast context (off for float32); no weight cache under CUDA graph capture."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=variant.bf16,
                          cache_enabled=False if variant.cuda_graph else None)


def runs_on(variant: Variant, device, bf16: str) -> bool:
    """Whether ``variant`` runs on ``device``, whose bf16 support is ``bf16`` (see convlstm.precision)."""
    return (torch.device(device).type == "cuda" or not variant.cuda_only) and (bf16 != "none" or not variant.bf16)


def _build(config: BenchConfig, variant: Variant, device, batch_size: int, seed: int = 0):
    """The model of ``config`` prepared as ``variant``; returns ``(run, frames, target)``."""
    torch.manual_seed(seed)
    model = config.model()
    if variant.reference:
        model = use_reference_cells(model)
    memory_format = torch.channels_last if variant.channels_last else torch.contiguous_format
    model = model.to(device, memory_format=memory_format)
    if variant.compile:
        model = compile_cells(model)
    g = torch.Generator().manual_seed(seed + 1)
    shape = (batch_size, config.input_steps + config.future_steps, config.in_channels,
             config.frame_size, config.frame_size)
    frames = (torch.rand(shape, generator=g) > 0.8).float().to(device)
    observed, target = frames[:, : config.input_steps], frames[:, config.input_steps:]
    run = _Rollout(model, config.future_steps)
    if variant.cuda_graph:
        with _precision(device, variant):
            run = torch.cuda.make_graphed_callables(run, (observed.requires_grad_(False),))
    return run, observed, target


def _train_step(run, observed, target, device, variant: Variant):
    """A function doing one training step of ``run``: forward, loss, and backward through time."""
    params = list(run.parameters())

    def train_step():
        for p in params:
            p.grad = None
        with _precision(device, variant):
            logits = run(observed)
        sequence_cross_entropy(logits.float(), target).backward()

    return train_step

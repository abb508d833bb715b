"""IPython startup file for tests/test_non_reference_run.py: make this CPU kernel compute like a GPU's.

Copied into a temporary IPYTHONDIR's profile_default/startup/, so it runs before a chapter's
first cell. The reference run (convlstm.is_reference_run) is off: the variable is removed and
float32 convolutions are asked for at lower precision, as PyTorch's defaults on CUDA do: cuDNN
runs float32 convolutions in TF32 (inputs rounded to a 10-bit mantissa;
torch.backends.cudnn.allow_tf32 is True by default), matrix products stay float32
(torch.backends.cuda.matmul.allow_tf32 is False by default). PyTorch 2.13 has the knob on the
CPU too (torch.backends.mkldnn.conv.fp32_precision = "tf32" or "bf16"), but on this machine's
CPU (AVX512-BF16, no AMX) oneDNN computes the same numbers with it (measured: convolutions bit
for bit unchanged; the matmul knob moves results by a few ulps only). So the knob is set, which
tells convlstm.tolerance() the precision, and the rounding itself is emulated: a
TorchFunctionMode rounds the float32 inputs of every convolution to TF32, passing gradients
straight through.
"""
import os

os.environ.pop("CONVLSTM_REFERENCE_RUN", None)

import torch  # noqa: E402
from torch.overrides import TorchFunctionMode  # noqa: E402

torch.backends.mkldnn.conv.fp32_precision = "tf32"
_F = torch.nn.functional
_ROUNDED = {_F.conv1d, _F.conv2d, _F.conv3d, _F.conv_transpose1d, _F.conv_transpose2d,
            _F.conv_transpose3d}


def _to_tf32(t):
    """t with its float32 values rounded to TF32's 10-bit mantissa (round half up)."""
    if not isinstance(t, torch.Tensor) or t.dtype != torch.float32 or t.device.type == "meta":
        return t
    with torch.no_grad():
        rounded = (t.detach().contiguous().view(torch.int32) + 0x1000 & -0x2000).view(torch.float32)
        rounded = rounded.view(t.shape)
    return t + (rounded - t).detach() if t.requires_grad else rounded  # straight through


class EmulateTF32(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in _ROUNDED and not torch.compiler.is_compiling():
            args = tuple(_to_tf32(a) for a in args)
        return func(*args, **kwargs)


EmulateTF32().__enter__()  # for the whole kernel session

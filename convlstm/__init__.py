"""convlstm: the ConvLSTM of Shi et al. (2015), small, tested, and device-agnostic."""
from .cells import FCLSTMCell, ConvLSTMCell, ReferenceConvLSTMCell
from .layers import ConvLSTM
from .device import pick_device
from .receptive_field import input_gradient, chebyshev_distance

__all__ = [
    "FCLSTMCell",
    "ConvLSTMCell",
    "ReferenceConvLSTMCell",
    "ConvLSTM",
    "pick_device",
    "input_gradient",
    "chebyshev_distance",
]
__version__ = "0.1.0"

"""convlstm: the ConvLSTM of Shi et al. (2015), small, tested, and device-agnostic."""
from .cells import FCLSTMCell, ConvLSTMCell, ReferenceConvLSTMCell
from .layers import ConvLSTM, FCLSTM
from .moving_mnist import MovingMNIST
from .mnist_file import load_moving_mnist_file
from .patches import to_patches, from_patches
from .models import EncoderForecaster, FCLSTMForecaster, paper_model, count_parameters
from .training import TrainConfig, fit, evaluate
from .device import pick_device
from .radar import SyntheticRadar
from .receptive_field import input_gradient, chebyshev_distance
from .reference import check_quoted, is_reference_run, tolerance

__all__ = [
    "FCLSTMCell",
    "ConvLSTMCell",
    "ReferenceConvLSTMCell",
    "ConvLSTM",
    "FCLSTM",
    "MovingMNIST",
    "load_moving_mnist_file",
    "to_patches",
    "from_patches",
    "EncoderForecaster",
    "FCLSTMForecaster",
    "paper_model",
    "count_parameters",
    "TrainConfig",
    "fit",
    "evaluate",
    "pick_device",
    "SyntheticRadar",
    "input_gradient",
    "chebyshev_distance",
    "check_quoted",
    "is_reference_run",
    "tolerance",
]
__version__ = "0.1.0"

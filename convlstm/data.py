"""Moving MNIST and what goes with it, under one name: a re-export kept for old imports.

The pieces live in one module per idea:

* :mod:`convlstm.moving_mnist`: the bouncing-digits generator (:class:`MovingMNIST`,
  :func:`digit_pool`, :func:`bouncing_trajectory`, :func:`render_sequence`, ...);
* :mod:`convlstm.mnist_file`: the original test file of Srivastava et al. (2015) and its
  opt-in download (:func:`load_moving_mnist_file`, :class:`MovingMNISTFile`,
  :func:`download_moving_mnist`);
* :mod:`convlstm.patches`: the paper's patches (:func:`to_patches`, :func:`from_patches`).

``from convlstm.data import ...`` keeps working for every public name of the three.
"""
from .mnist_file import (  # noqa: F401
    MOVING_MNIST_PAGE,
    MOVING_MNIST_SHA256,
    MOVING_MNIST_URL,
    Download,
    MovingMNISTFile,
    download_moving_mnist,
    load_moving_mnist_file,
)
from .moving_mnist import (  # noqa: F401
    DIGIT_SIZE,
    POOL_SIZES,
    SPEED_RANGE,
    SPLITS,
    MovingMNIST,
    bouncing_trajectory,
    digit_pool,
    load_mnist_digits,
    render_sequence,
)
from .patches import from_patches, to_patches  # noqa: F401

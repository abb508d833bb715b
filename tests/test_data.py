"""Tests for convlstm.data: the re-export module keeps the old imports working."""
import pytest

import convlstm
from convlstm import data, mnist_file, moving_mnist, patches

MOVED = {
    moving_mnist: ["MovingMNIST", "bouncing_trajectory", "digit_pool", "load_mnist_digits",
                   "render_sequence", "DIGIT_SIZE", "POOL_SIZES", "SPEED_RANGE", "SPLITS"],
    mnist_file: ["MovingMNISTFile", "Download", "download_moving_mnist", "load_moving_mnist_file",
                 "MOVING_MNIST_URL", "MOVING_MNIST_PAGE", "MOVING_MNIST_SHA256"],
    patches: ["to_patches", "from_patches"],
}
CASES = [(module, name) for module, names in MOVED.items() for name in names]


@pytest.mark.parametrize("module,name", CASES, ids=[f"{m.__name__}.{n}" for m, n in CASES])
def test_data_re_exports_the_same_object(module, name):
    assert getattr(data, name) is getattr(module, name)


def test_every_public_name_of_the_three_modules_is_re_exported():
    for module in MOVED:
        public = {n for n, v in vars(module).items() if not n.startswith("_")
                  and getattr(v, "__module__", module.__name__) == module.__name__
                  and not isinstance(v, type(module)) and n != "annotations"}
        missing = public - set(vars(data))
        assert not missing, f"convlstm.data does not re-export {sorted(missing)} from {module.__name__}"


def test_top_level_api_is_the_same_objects():
    assert convlstm.MovingMNIST is moving_mnist.MovingMNIST
    assert convlstm.load_moving_mnist_file is mnist_file.load_moving_mnist_file
    assert convlstm.to_patches is patches.to_patches and convlstm.from_patches is patches.from_patches

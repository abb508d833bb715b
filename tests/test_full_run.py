"""convlstm.full_run: the GPU run's files read back, with a clear error for each way they break."""
import json

import pytest
import torch
from torch import nn

from convlstm.full_run import load_weights, read_full_run
from convlstm.models import EncoderForecaster


def small():
    torch.manual_seed(0)
    return EncoderForecaster(1, [4], kernel_size=3, patch_size=2)


def test_weights_saved_in_bf16_load_into_a_float32_model(tmp_path):
    trained, fresh = small(), EncoderForecaster(1, [4], kernel_size=3, patch_size=2)
    path = tmp_path / "model.pt"
    torch.save({k: v.bfloat16() for k, v in trained.state_dict().items()}, path)
    w, w_fresh = trained.output.weight, fresh.output.weight
    assert not torch.equal(w, w_fresh)  # guard: the load has something to change
    load_weights(fresh, path)
    assert fresh.output.weight.dtype == torch.float32
    torch.testing.assert_close(fresh.output.weight, w.bfloat16().float(), rtol=0, atol=0)


@pytest.mark.parametrize("content, message", [
    (None, "found no file"),
    (b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\n", "could not read it"),
    (b"\x80\x02", "could not read it"),
], ids=["missing", "lfs-pointer", "truncated"])
def test_a_missing_or_damaged_weights_file_says_what_to_do(tmp_path, content, message):
    path = tmp_path / "model.pt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as error:
        load_weights(small(), path)
    assert "gpu_full.sh" in str(error.value) or "copy it again" in str(error.value)


def test_weights_of_another_model_are_refused(tmp_path):
    path = tmp_path / "model.pt"
    torch.save(EncoderForecaster(1, [8], kernel_size=3, patch_size=2).state_dict(), path)
    with pytest.raises(ValueError, match="of shape .* another model size"):
        load_weights(small(), path)
    torch.save(nn.Linear(2, 2).state_dict(), path)
    with pytest.raises(ValueError, match="other names"):
        load_weights(small(), path)
    torch.save([torch.zeros(1)], path)
    with pytest.raises(ValueError, match="state dict of tensors"):
        load_weights(small(), path)


def test_the_scores_file_is_read_or_explained(tmp_path):
    path = tmp_path / "full_mnist_gpu.json"
    assert read_full_run(path) is None  # not made yet
    run = {"conv": {"model": "ConvLSTM(5x5)-5x5-128-5x5-64-5x5-64", "test": {"cross_entropy": 3600.0},
                    "history": {"val_loss": [4000.0, 3700.0]}}}
    path.write_text(json.dumps(run))
    assert read_full_run(path) == run
    for broken, message in [("{not json", "unreadable text"), ("[]", "runs by name"),
                            (json.dumps({"conv": {"model": "x"}}), r"lacks \['test', 'history'\]")]:
        path.write_text(broken)
        with pytest.raises(ValueError, match=message):
            read_full_run(path)

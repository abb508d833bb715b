"""Tests for convlstm.train: training lowers the loss, resuming is exact, early stopping, checkpoints."""
import pytest
import torch

from convlstm.metrics import frame_mae, frame_mse, frame_ssim, sequence_cross_entropy
from convlstm.models import EncoderForecaster
from convlstm.train import TrainConfig, evaluate, fit

CONFIG = TrainConfig(epochs=3, batch_size=4, input_steps=3, progress=False, patience=10)


def moving_squares(n, seed):
    """Sequences of a bright square sliding right by one pixel per step: learnable in a few steps."""
    g = torch.Generator().manual_seed(seed)
    data = torch.zeros(n, 6, 1, 8, 8)
    for i in range(n):
        row, col = torch.randint(0, 6, (2,), generator=g).tolist()
        for t in range(6):
            c = (col + t) % 7
            data[i, t, 0, row : row + 2, c : c + 2] = 1.0
    return data


def small_model(seed=0):
    torch.manual_seed(seed)
    return EncoderForecaster(1, [6], kernel_size=3, patch_size=2)


def test_training_lowers_the_validation_loss():
    model = small_model()
    train, val = moving_squares(32, 0), moving_squares(8, 1)
    before = evaluate(model, val, input_steps=3, ssim=False)["cross_entropy"]
    history = fit(model, train, val, CONFIG, device="cpu", epochs=4)
    assert len(history.val_loss) == 4
    assert history.val_loss[history.best_epoch] < 0.9 * before
    # The model ends with its best weights.
    after = evaluate(model, val, input_steps=3, ssim=False)["cross_entropy"]
    assert after == pytest.approx(history.best_val_loss, rel=1e-5)


def test_interrupted_and_resumed_run_ends_like_an_uninterrupted_one(tmp_path):
    train, val = moving_squares(12, 0), moving_squares(4, 1)
    whole = small_model()
    fit(whole, train, val, CONFIG, device="cpu")

    resumed = small_model()
    ckpt = tmp_path / "run.pt"
    first = fit(resumed, train, val, CONFIG, checkpoint=ckpt, device="cpu", epochs=1)  # "interrupted"
    assert len(first.train_loss) == 1 and ckpt.exists()
    fresh = small_model()  # a new process: new model object, same checkpoint
    history = fit(fresh, train, val, CONFIG, checkpoint=ckpt, device="cpu")
    assert len(history.train_loss) == 3
    for (name, a), b in zip(whole.state_dict().items(), fresh.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)
    # Guard: one epoch of training changes the weights, so the equality above is not vacuous.
    assert any(not torch.equal(a, b) for a, b in zip(small_model().state_dict().values(), fresh.state_dict().values()))


def test_early_stopping():
    train, val = moving_squares(8, 0), moving_squares(4, 1)
    history = fit(small_model(), train, val, CONFIG, device="cpu", epochs=20, patience=1, lr=1.0)
    # A huge learning rate makes the validation loss stop improving; patience 1 stops right after.
    assert history.stopped_early
    assert len(history.val_loss) == history.best_epoch + 2 < 20


def test_bad_checkpoint_says_what_to_do(tmp_path):
    ckpt = tmp_path / "broken.pt"
    ckpt.write_bytes(b"not a checkpoint")
    with pytest.raises(RuntimeError, match="delete it"):
        fit(small_model(), moving_squares(4, 0), moving_squares(4, 1), CONFIG, checkpoint=ckpt, device="cpu")


def test_bad_arguments():
    with pytest.raises(ValueError, match="TrainConfig fields"):
        fit(small_model(), moving_squares(4, 0), moving_squares(4, 1), CONFIG, device="cpu", epoch=3)
    with pytest.raises(ValueError, match=r"T > input_steps=3"):
        fit(small_model(), torch.rand(4, 3, 1, 8, 8), torch.rand(4, 3, 1, 8, 8), CONFIG, device="cpu")


# Hand-worked metric values, one comment a case.
def test_metrics_by_hand():
    target = torch.zeros(2, 1, 1, 2, 2)
    pred = torch.zeros(2, 1, 1, 2, 2)
    pred[0, 0, 0, 0, 0] = 1.0  # one pixel off by 1 in the first sequence only
    assert frame_mse(pred, target).item() == 0.5  # (1 + 0) / 2 frames
    assert frame_mae(pred, target).item() == 0.5
    torch.testing.assert_close(frame_mse(pred, target, reduce=False), torch.tensor([[1.0], [0.0]]))
    # logits 0 mean p = 0.5: each pixel costs log 2, 4 pixels per sequence.
    ce = sequence_cross_entropy(torch.zeros(2, 1, 1, 2, 2), target, reduce=False)
    torch.testing.assert_close(ce, torch.full((2,), 4 * torch.log(torch.tensor(2.0)).item()))
    # Confident and right costs almost nothing; confident and wrong costs about the logit.
    assert sequence_cross_entropy(torch.full((1, 1, 1, 1, 1), -20.0), torch.zeros(1, 1, 1, 1, 1)).item() < 1e-8
    assert sequence_cross_entropy(torch.full((1, 1, 1, 1, 1), 20.0), torch.zeros(1, 1, 1, 1, 1)).item() == pytest.approx(20.0)
    # SSIM: identical frames score 1; a frame against its negative scores below 0.
    x = torch.rand(1, 2, 1, 16, 16)
    assert frame_ssim(x, x) == pytest.approx(1.0)
    assert frame_ssim(x, 1 - x) < 0
    with pytest.raises(ValueError, match="same shape"):
        frame_mse(pred, target[:, :, :, :1])


def test_amp_runs_the_convolutions_in_bfloat16_when_forced_on_the_cpu():
    model = small_model()
    dtypes = []
    model.encoder.cells[0].conv.register_forward_hook(lambda m, i, out: dtypes.append(out.dtype))
    train, val = moving_squares(16, 0), moving_squares(4, 1)
    before = evaluate(model, val, input_steps=3, ssim=False)["cross_entropy"]
    dtypes.clear()  # evaluate runs in float32
    history = fit(model, train, val, CONFIG, device="cpu", amp=True, epochs=2)
    assert set(dtypes) == {torch.bfloat16}
    assert all(torch.isfinite(torch.tensor(history.train_loss)))
    assert history.best_val_loss < before  # bfloat16 still trains
    # Guard: without autocast the same convolution computes in float32.
    dtypes.clear()
    fit(model, train, val, CONFIG, device="cpu", amp=False, epochs=1)
    assert set(dtypes) == {torch.float32}


def test_amp_default_is_bfloat16_on_cuda_only(monkeypatch):
    from convlstm.train import use_amp

    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: True)
    assert use_amp(TrainConfig(), torch.device("cuda")) is True
    assert use_amp(TrainConfig(), torch.device("cpu")) is False
    assert use_amp(TrainConfig(amp=False), torch.device("cuda")) is False
    assert use_amp(TrainConfig(amp=True), torch.device("cpu")) is True
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: False)  # e.g. a T4
    assert use_amp(TrainConfig(), torch.device("cuda")) is False

"""Tests for convlstm.models: the paper's parameter counts, shapes, and the encoder-forecaster wiring."""
import pytest
import torch

from convlstm.layers import FCLSTM
from convlstm.models import EncoderForecaster, FCLSTMForecaster, count_parameters, paper_model

# Shi et al. (2015), Table 1: parameters of each Moving MNIST model.
TABLE_1 = {
    "FC-LSTM-2048-2048": 142_667_776,
    "ConvLSTM(5x5)-5x5-256": 13_524_496,
    "ConvLSTM(5x5)-5x5-128-5x5-128": 10_042_896,
    "ConvLSTM(5x5)-5x5-128-5x5-64-5x5-64": 7_585_296,
    "ConvLSTM(9x9)-1x1-128-1x1-128": 11_550_224,
    "ConvLSTM(9x9)-1x1-128-1x1-64-1x1-64": 8_830_480,
}


@pytest.mark.parametrize("name,count", TABLE_1.items(), ids=TABLE_1.keys())
def test_parameter_counts_equal_the_papers(name, count):
    with torch.device("meta"):  # shapes only: the FC-LSTM would need 570 MB
        model = paper_model(name)
    assert sum(p.numel() for p in model.parameters()) == count


def test_paper_model_reads_the_name():
    model = paper_model("ConvLSTM(9x9)-1x1-128-1x1-64-1x1-64")
    cells = list(model.encoder.cells)
    assert [c.hidden_channels for c in cells] == [128, 64, 64]
    assert all(c.kernel_size == (9, 9) and c.hidden_kernel_size == (1, 1) for c in cells)
    assert cells[0].in_channels == 16 and all(c.peephole == "channel" for c in cells)
    assert model.forecaster.cells[0].input_weight() is None  # the forecaster's first layer has no input
    assert model.output.in_channels == 128 + 64 + 64  # all forecasting layers feed the output


BAD_NAMES = {
    "lowercase": ("convlstm(5x5)-5x5-64", "expected a name like"),
    "no-layers": ("ConvLSTM(5x5)", "expected a name like"),
    "two-state-kernels": ("ConvLSTM(5x5)-5x5-64-3x3-64", "one state-to-state kernel"),
    "fc-without-sizes": ("FC-LSTM", "expected a name like"),
}


@pytest.mark.parametrize("name,match", BAD_NAMES.values(), ids=BAD_NAMES.keys())
def test_paper_model_rejects_bad_names(name, match):
    with pytest.raises(ValueError, match=match):
        paper_model(name)


def test_even_kernel_in_name_is_an_error():
    with pytest.raises(ValueError, match="odd"):
        paper_model("ConvLSTM(4x4)-5x5-64")


@pytest.mark.parametrize("model", [
    EncoderForecaster(1, [8, 4], kernel_size=3, patch_size=4),
    FCLSTMForecaster((1, 16, 16), [32, 16]),
], ids=["conv", "fc"])
def test_forecast_shapes_and_dependence_on_the_input(model):
    torch.manual_seed(0)
    frames = torch.rand(2, 5, 1, 16, 16)
    out = model(frames, future=3)
    assert out.shape == (2, 3, 1, 16, 16)
    # The forecast depends on the observed frames (the encoder's states reach the forecaster),
    # and each sequence only on its own frames.
    changed = frames.clone()
    changed[0] = torch.rand(5, 1, 16, 16)
    out2 = model(changed, future=3)
    assert (out2[0] - out[0]).abs().max() > 1e-5
    torch.testing.assert_close(out2[1], out[1])


@pytest.mark.parametrize("model,frames,match", [
    (EncoderForecaster(1, [4], patch_size=4), torch.rand(2, 5, 1, 18, 16), "divisible"),
    (EncoderForecaster(1, [4], patch_size=4), torch.rand(2, 5, 2, 16, 16), r"\(B, T, 1, H, W\)"),
    (FCLSTMForecaster((1, 8, 8), [4]), torch.rand(2, 5, 1, 8, 9), r"\(B, T, 1, 8, 8\)"),
], ids=["not-divisible-by-patch", "wrong-channels", "fc-wrong-frame"])
def test_models_reject_bad_frames(model, frames, match):
    with pytest.raises(ValueError, match=match):
        model(frames)


def test_fc_stack_matches_its_cells():
    torch.manual_seed(1)
    net = FCLSTM(3, [5, 4], peephole=True)
    x = torch.randn(2, 6, 3)
    out, states = net(x)
    state = [None, None]
    for t in range(6):
        inp = x[:, t]
        for layer, cell in enumerate(net.cells):
            state[layer] = cell(inp, state[layer])
            inp = state[layer][0]
        torch.testing.assert_close(out[:, t], inp)
    torch.testing.assert_close(states[1][1], state[1][1])
    with pytest.raises(ValueError, match=r"expected x of shape \(B, T, F\) with F=3, got \(2, 6, 4\)"):
        net(torch.randn(2, 6, 4))


EMPTY_OR_NO_FUTURE = {
    "conv-T=0": (EncoderForecaster(1, [4], patch_size=4), torch.rand(2, 0, 1, 16, 16), 3,
                 r"EncoderForecaster: expected at least one observed frame \(T >= 1\), got shape \(2, 0, 1, 16, 16\)"),
    "fc-T=0": (FCLSTMForecaster((1, 8, 8), [4]), torch.rand(2, 0, 1, 8, 8), 3,
               r"FCLSTMForecaster: expected at least one observed frame \(T >= 1\)"),
    "conv-future=0": (EncoderForecaster(1, [4], patch_size=4), torch.rand(2, 5, 1, 16, 16), 0,
                      "EncoderForecaster: expected future to be an int >= 1, got 0"),
    "fc-future=-1": (FCLSTMForecaster((1, 8, 8), [4]), torch.rand(2, 5, 1, 8, 8), -1,
                     "FCLSTMForecaster: expected future to be an int >= 1, got -1"),
    "fc-future-float": (FCLSTMForecaster((1, 8, 8), [4]), torch.rand(2, 5, 1, 8, 8), 2.0,
                        "FCLSTMForecaster: expected future to be an int >= 1, got 2.0"),
}


@pytest.mark.parametrize("model,frames,future,match", EMPTY_OR_NO_FUTURE.values(), ids=EMPTY_OR_NO_FUTURE.keys())
def test_models_refuse_empty_sequences_and_no_future(model, frames, future, match):
    with pytest.raises(ValueError, match=match):
        model(frames, future=future)


def test_count_parameters_by_hand_and_on_meta():
    assert count_parameters(torch.nn.Linear(3, 2)) == 3 * 2 + 2
    assert count_parameters(torch.nn.Sequential()) == 0
    with torch.device("meta"):  # no memory: the FC-LSTM alone is 143 million weights
        for name, count in TABLE_1.items():
            assert count_parameters(paper_model(name)) == count, name


def test_count_parameters_is_the_public_name():
    import convlstm

    assert convlstm.count_parameters is count_parameters


def test_count_parameters_refuses_a_non_module():
    with pytest.raises(ValueError, match="expected a torch.nn.Module, got Tensor"):
        count_parameters(torch.zeros(3))

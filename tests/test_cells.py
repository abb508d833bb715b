"""Tests for convlstm.cells: the fused cell against its references, gradients, peepholes, errors."""
import io

import pytest
import torch
from torch import nn

from convlstm import ConvLSTMCell, FCLSTMCell, ReferenceConvLSTMCell
from helpers import PEEPHOLE_IDS, randomize_, run_steps

# (in_channels, hidden_channels, kernel_size, hidden_kernel_size)
CONV_CASES = {
    "equal-3x3": (2, 3, 3, None),
    "5x5-in-1x1-state": (2, 3, 5, 1),
    "rect-3x5-in-1x3-state": (2, 3, (3, 5), (1, 3)),
    "no-input": (0, 3, 3, 3),
}


@pytest.mark.parametrize("peephole", [None, "channel", "spatial"], ids=PEEPHOLE_IDS)
@pytest.mark.parametrize("case", CONV_CASES.values(), ids=CONV_CASES.keys())
def test_fused_equals_eight_convolutions(case, peephole):
    c_in, c_h, k, kh = case
    H, W = 7, 6
    kwargs = dict(hidden_kernel_size=kh, peephole=peephole, frame_size=(H, W))
    fused = randomize_(ConvLSTMCell(c_in, c_h, k, **kwargs), seed=1)
    ref = ReferenceConvLSTMCell(c_in, c_h, k, **kwargs)
    torch.manual_seed(2)
    xs = [torch.randn(2, c_in, H, W) if c_in else None for _ in range(3)]
    state0 = (torch.randn(2, c_h, H, W), torch.randn(2, c_h, H, W))

    h_fused, (_, c_fused) = run_steps(fused, xs, state0)
    h_ref, _ = run_steps(ref, xs, state0)
    # Guard: before the copy the two cells really differ, so the check below can fail.
    assert (h_fused - h_ref).abs().max() > 1e-3

    ref.load_fused(fused)
    h_ref, (_, c_ref) = run_steps(ref, xs, state0)
    torch.testing.assert_close(h_ref, h_fused)
    torch.testing.assert_close(c_ref, c_fused)


def test_equal_kernels_use_one_convolution():
    cell = ConvLSTMCell(2, 3, kernel_size=5)
    convs = [m for m in cell.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 1 and convs[0].in_channels == 5 and convs[0].out_channels == 12
    split = ConvLSTMCell(2, 3, kernel_size=5, hidden_kernel_size=1)
    assert [m.kernel_size for m in split.modules() if isinstance(m, nn.Conv2d)] == [(5, 5), (1, 1)]


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_fc_cell_equals_torch_lstm_cell(bias):
    torch.manual_seed(0)
    ours = FCLSTMCell(5, 7, bias=bias)
    theirs = nn.LSTMCell(5, 7, bias=bias)
    xs = [torch.randn(4, 5) for _ in range(4)]
    state_theirs = None
    for x in xs:
        state_theirs = theirs(x, state_theirs)
    _, state_ours = run_steps(ours, xs)
    assert (state_ours[0] - state_theirs[0]).abs().max() > 1e-3  # guard: differ before the copy

    ours.load_torch_lstm_cell(theirs)
    _, state_ours = run_steps(ours, xs)
    torch.testing.assert_close(state_ours[0], state_theirs[0])
    torch.testing.assert_close(state_ours[1], state_theirs[1])


@pytest.mark.parametrize("peephole", [False, True], ids=["plain", "peephole"])
def test_conv_cell_on_one_pixel_is_fc_cell(peephole):
    """The book's central identity: an FC-LSTM is a ConvLSTM whose frame is one pixel."""
    n_in, n_h = 4, 6
    fc = randomize_(FCLSTMCell(n_in, n_h, peephole=peephole), seed=3)
    conv = ConvLSTMCell(n_in, n_h, kernel_size=1, peephole="channel" if peephole else None)
    torch.manual_seed(4)
    xs = [torch.randn(3, n_in) for _ in range(3)]
    h_fc, (_, c_fc) = run_steps(fc, xs)
    h_conv, _ = run_steps(conv, [x[:, :, None, None] for x in xs])  # (B, C, 1, 1)
    assert (h_conv[..., 0, 0] - h_fc).abs().max() > 1e-3  # guard

    with torch.no_grad():
        # The 1x1 kernels are the matrices; the fused conv sees cat([x, h]).
        weight = torch.cat([fc.weight_ih, fc.weight_hh], dim=1)  # (4*n_h, n_in + n_h)
        conv.conv.weight.copy_(weight[:, :, None, None])  # (4*n_h, n_in + n_h, 1, 1)
        conv.conv.bias.copy_(fc.bias)
        if peephole:
            for name in ("weight_ci", "weight_cf", "weight_co"):
                getattr(conv, name).copy_(getattr(fc, name)[:, None, None])  # (n_h, 1, 1)
    h_conv, (_, c_conv) = run_steps(conv, [x[:, :, None, None] for x in xs])
    torch.testing.assert_close(h_conv[..., 0, 0], h_fc)
    torch.testing.assert_close(c_conv[..., 0, 0], c_fc)


@pytest.mark.parametrize("peephole", [None, "channel", "spatial"], ids=PEEPHOLE_IDS)
@pytest.mark.parametrize("kernels", [(3, None), (3, 1)], ids=["equal", "3x3-in-1x1-state"])
def test_conv_cell_gradcheck(peephole, kernels):
    k, kh = kernels
    cell = ConvLSTMCell(2, 2, k, kh, peephole=peephole, frame_size=(4, 5)).double()
    randomize_(cell, seed=5)
    torch.manual_seed(6)
    x = torch.randn(1, 2, 4, 5, dtype=torch.float64, requires_grad=True)
    h = torch.randn(1, 2, 4, 5, dtype=torch.float64, requires_grad=True)
    c = torch.randn(1, 2, 4, 5, dtype=torch.float64, requires_grad=True)

    names = [name for name, _ in cell.named_parameters()]

    def two_steps(x, h, c, *params):
        weights = dict(zip(names, params))
        state = torch.func.functional_call(cell, weights, (x, (h, c)))
        return torch.func.functional_call(cell, weights, (x * 0.5, state))

    # The network itself, with respect to its input, state and weights alike:
    # not a loss function evaluated on fixed outputs.
    params = [p.detach().clone().requires_grad_(True) for p in cell.parameters()]
    assert torch.autograd.gradcheck(two_steps, (x, h, c, *params))


def test_fc_cell_gradcheck():
    cell = randomize_(FCLSTMCell(3, 4, peephole=True).double(), seed=7)
    x = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    h = torch.randn(2, 4, dtype=torch.float64, requires_grad=True)
    c = torch.randn(2, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, h, c: cell(x, (h, c)), (x, h, c))


@pytest.mark.parametrize("peephole", ["channel", "spatial"])
def test_peepholes_are_trained_saved_and_moved(peephole):
    cell = ConvLSTMCell(1, 2, 3, peephole=peephole, frame_size=(5, 5))
    names = dict(cell.named_parameters())
    assert {"weight_ci", "weight_cf", "weight_co"} <= set(names)
    before = {n: names[n].detach().clone() for n in ("weight_ci", "weight_cf", "weight_co")}

    optimizer = torch.optim.SGD(cell.parameters(), lr=0.1)
    torch.manual_seed(8)
    x = torch.randn(2, 1, 5, 5)
    state = None
    for _ in range(3):  # c_{t-1} is zero at the first step, so take several
        state = cell(x, state)
    state[0].square().sum().backward()
    for n in before:
        assert names[n].grad is not None and names[n].grad.abs().sum() > 0, n
    optimizer.step()
    for n in before:
        assert not torch.equal(names[n], before[n]), f"{n} did not change after an optimizer step"

    buffer = io.BytesIO()
    torch.save(cell.state_dict(), buffer)
    buffer.seek(0)
    loaded = ConvLSTMCell(1, 2, 3, peephole=peephole, frame_size=(5, 5))
    loaded.load_state_dict(torch.load(buffer, weights_only=True))
    for n in before:
        torch.testing.assert_close(getattr(loaded, n), names[n])
    assert cell.double().weight_ci.dtype == torch.float64  # moved with the module


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
def test_zero_state_follows_input(dtype):
    cell = ConvLSTMCell(1, 2).to(dtype)
    h, c = cell(torch.randn(1, 1, 4, 4, dtype=dtype))
    assert h.dtype == c.dtype == dtype and h.device.type == "cpu"


def test_bfloat16_autocast():
    cell = ConvLSTMCell(1, 4, peephole="channel")
    x = torch.randn(2, 1, 8, 8)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        h, c = cell(x)
        h, c = cell(x, (h, c))
    h32, _ = cell(x, cell(x))
    assert torch.isfinite(h.float()).all()
    torch.testing.assert_close(h.float(), h32, atol=0.05, rtol=0.05)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_runs_on_cuda():
    cell = ConvLSTMCell(1, 4, peephole="spatial", frame_size=(8, 8)).cuda()
    h, c = cell(torch.randn(2, 1, 8, 8, device="cuda"))
    assert h.is_cuda and c.is_cuda


BAD_CELL_ARGS = {
    "even-kernel": (dict(in_channels=1, hidden_channels=2, kernel_size=4), "odd"),
    "even-hidden-kernel": (dict(in_channels=1, hidden_channels=2, hidden_kernel_size=(3, 2)), "odd"),
    "kernel-triple": (dict(in_channels=1, hidden_channels=2, kernel_size=(3, 3, 3)), "pair"),
    "spatial-without-frame": (dict(in_channels=1, hidden_channels=2, peephole="spatial"), "frame_size"),
    "unknown-peephole": (dict(in_channels=1, hidden_channels=2, peephole="diag"), "peephole"),
    "no-hidden": (dict(in_channels=1, hidden_channels=0), "hidden_channels >= 1"),
}


@pytest.mark.parametrize("kwargs,match", BAD_CELL_ARGS.values(), ids=BAD_CELL_ARGS.keys())
def test_bad_constructor_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ConvLSTMCell(**kwargs)


h_ok = torch.zeros(2, 3, 5, 5)
BAD_CELL_CALLS = {
    "rank-3-input": (torch.zeros(1, 5, 5), None, r"expected x of shape \(B, 1, H, W\), got \(1, 5, 5\)"),
    "wrong-channels": (torch.zeros(2, 4, 5, 5), None, r"expected x of shape \(B, 1, H, W\), got \(2, 4, 5, 5\)"),
    "state-not-pair": (torch.zeros(2, 1, 5, 5), h_ok, "pair"),
    "state-wrong-size": (torch.zeros(2, 1, 5, 5), (torch.zeros(2, 3, 4, 5), h_ok), r"expected h of shape \(2, 3, 5, 5\)"),
    "state-wrong-batch": (torch.zeros(2, 1, 5, 5), (h_ok, torch.zeros(1, 3, 5, 5)), r"expected c of shape \(2, 3, 5, 5\)"),
    "spatial-peephole-other-frame": (torch.zeros(2, 1, 6, 5), None, r"frames of size \(5, 5\), got .* \(6, 5\)"),
}


@pytest.mark.parametrize("x,state,match", BAD_CELL_CALLS.values(), ids=BAD_CELL_CALLS.keys())
def test_bad_inputs(x, state, match):
    cell = ConvLSTMCell(1, 3, peephole="spatial", frame_size=(5, 5))
    with pytest.raises(ValueError, match=match):
        cell(x, state)


def test_bad_inputs_without_input_channels():
    cell = ConvLSTMCell(0, 3)
    with pytest.raises(ValueError, match="x=None"):
        cell(torch.zeros(1, 1, 4, 4), (torch.zeros(1, 3, 4, 4),) * 2)
    with pytest.raises(ValueError, match="needs a state"):
        cell(None)


def test_fc_bad_inputs():
    cell = FCLSTMCell(3, 4)
    with pytest.raises(ValueError, match=r"expected x of shape \(B, 3\), got \(2, 5\)"):
        cell(torch.zeros(2, 5))
    with pytest.raises(ValueError, match=r"expected h of shape \(2, 4\)"):
        cell(torch.zeros(2, 3), (torch.zeros(2, 5), torch.zeros(2, 4)))
    with pytest.raises(ValueError, match=r"LSTMCell\(3, 4\)"):
        cell.load_torch_lstm_cell(nn.LSTMCell(3, 5))

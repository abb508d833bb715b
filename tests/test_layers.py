"""Tests for convlstm.layers.ConvLSTM: a stack of cells over a sequence."""
import pytest
import torch

from convlstm import FCLSTM, ConvLSTM
from helpers import PEEPHOLE_IDS, randomize_


def make_net(peephole=None, **kwargs):
    torch.manual_seed(0)
    net = ConvLSTM(2, [4, 3], kernel_size=[3, 5], hidden_kernel_size=[3, 1], peephole=peephole, frame_size=(6, 6), **kwargs)
    return randomize_(net, seed=1)


@pytest.mark.parametrize("peephole", [None, "channel", "spatial"], ids=PEEPHOLE_IDS)
def test_two_halves_equal_one_pass(peephole):
    net = make_net(peephole)
    x = torch.randn(2, 8, 2, 6, 6)
    whole, whole_states = net(x)
    first, states = net(x[:, :5])
    second, final = net(x[:, 5:], states)
    torch.testing.assert_close(torch.cat([first, second], dim=1), whole)
    for (h1, c1), (h2, c2) in zip(final, whole_states):
        torch.testing.assert_close(h1, h2)
        torch.testing.assert_close(c1, c2)
    # Guard: the carried state matters, so the check above could fail.
    fresh, _ = net(x[:, 5:])
    assert (fresh - second).abs().max() > 1e-3


def test_step_t_reads_frame_t():
    """Changing frame t changes the outputs from step t on and none before it."""
    net = make_net()
    x = torch.randn(1, 6, 2, 6, 6)
    out, _ = net(x)
    x2 = x.clone()
    x2[:, 3] += 1.0
    out2, _ = net(x2)
    torch.testing.assert_close(out2[:, :3], out[:, :3])
    assert ((out2[:, 3:] - out[:, 3:]).flatten(2).abs().amax(2) > 1e-4).all()


def test_batch_items_are_independent():
    net = make_net()
    x = torch.randn(3, 4, 2, 6, 6)
    together, _ = net(x)
    alone = torch.cat([net(x[b : b + 1])[0] for b in range(3)])
    torch.testing.assert_close(together, alone)


def test_time_first_layout():
    net = make_net()
    x = torch.randn(2, 5, 2, 6, 6)
    out_bf, states_bf = net(x)
    net.batch_first = False
    out_tf, states_tf = net(x.transpose(0, 1))
    torch.testing.assert_close(out_tf.transpose(0, 1), out_bf)
    torch.testing.assert_close(states_tf[-1][0], states_bf[-1][0])


def test_shapes_and_per_layer_arguments():
    net = ConvLSTM(1, 8, kernel_size=(3, 5), num_layers=3)
    assert [c.hidden_channels for c in net.cells] == [8, 8, 8]
    assert [c.in_channels for c in net.cells] == [1, 8, 8]
    assert all(c.kernel_size == (3, 5) for c in net.cells)
    out, states = net(torch.randn(2, 4, 1, 10, 12))
    assert out.shape == (2, 4, 8, 10, 12) and len(states) == 3


def test_stack_without_input_runs_from_a_state():
    encoder = ConvLSTM(1, [4, 2])
    forecaster = ConvLSTM(0, [4, 2])
    assert forecaster.cells[0].input_weight() is None
    _, states = encoder(torch.randn(2, 3, 1, 8, 8))
    out, _ = forecaster(None, states, steps=5)
    assert out.shape == (2, 5, 2, 8, 8)


@pytest.mark.parametrize("peephole", [None, "channel", "spatial"], ids=PEEPHOLE_IDS)
def test_stack_gradcheck(peephole):
    net = ConvLSTM(1, [2, 2], kernel_size=3, hidden_kernel_size=[3, 1], peephole=peephole, frame_size=(4, 4))
    net = randomize_(net.double(), seed=2)
    x = torch.randn(1, 3, 1, 4, 4, dtype=torch.float64, requires_grad=True)
    names = [name for name, _ in net.named_parameters()]
    params = [p.detach().clone().requires_grad_(True) for p in net.parameters()]

    def run(x, *params):
        out, states = torch.func.functional_call(net, dict(zip(names, params)), (x,))
        return out, states[0][1]

    assert torch.autograd.gradcheck(run, (x, *params))


BAD_STACKS = {
    "hidden-list-vs-layers": (dict(in_channels=1, hidden_channels=[4, 4], num_layers=3), "3 values"),
    "kernel-list-length": (dict(in_channels=1, hidden_channels=[4, 4], kernel_size=[3, 3, 3]), "kernel_size"),
    "even-kernel-in-list": (dict(in_channels=1, hidden_channels=[4, 4], kernel_size=[3, 2]), "odd"),
    "zero-layers": (dict(in_channels=1, hidden_channels=[]), "at least one layer"),
}


@pytest.mark.parametrize("kwargs,match", BAD_STACKS.values(), ids=BAD_STACKS.keys())
def test_bad_constructor_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ConvLSTM(**kwargs)


BAD_CALLS = {
    "rank-4": (torch.zeros(2, 1, 6, 6), None, r"expected x of shape \(B, T, C, H, W\) with C=1, got \(2, 1, 6, 6\)"),
    "wrong-channels": (torch.zeros(2, 3, 2, 6, 6), None, r"with C=1, got \(2, 3, 2, 6, 6\)"),
    "state-one-layer-short": (torch.zeros(2, 3, 1, 6, 6), [(torch.zeros(2, 4, 6, 6),) * 2], "list of 2"),
    "state-wrong-shape": (
        torch.zeros(2, 3, 1, 6, 6),
        [(torch.zeros(2, 4, 6, 6),) * 2, (torch.zeros(2, 4, 6, 6),) * 2],
        r"expected h of shape \(2, 3, 6, 6\)",
    ),
}


@pytest.mark.parametrize("x,state,match", BAD_CALLS.values(), ids=BAD_CALLS.keys())
def test_bad_inputs(x, state, match):
    net = ConvLSTM(1, [4, 3])
    with pytest.raises(ValueError, match=match):
        net(x, state)


def test_no_input_stack_needs_steps():
    with pytest.raises(ValueError, match="steps >= 1"):
        ConvLSTM(0, 2)(None, [(torch.zeros(1, 2, 4, 4),) * 2])


def _outputs_and_grads(net, x, state=None):
    """The outputs, final states and every gradient (parameters, input, initial state) of one pass."""
    x = x.clone().requires_grad_(True)
    out, final = net(x, state)
    loss = out.square().sum() + sum((h * c).sum() for h, c in final)
    leaves = [x] + list(net.parameters()) + ([t for pair in state for t in pair] if state else [])
    grads = torch.autograd.grad(loss, leaves)
    return out, final, grads


@pytest.mark.parametrize("every", [1, 3, 8, 20], ids=lambda k: f"every{k}")
@pytest.mark.parametrize("peephole", [None, "spatial"], ids=["none", "spatial"])
def test_checkpointing_gives_the_same_outputs_and_gradients(every, peephole):
    x = torch.randn(2, 8, 2, 6, 6, dtype=torch.float64)
    state = [tuple(torch.randn(2, c, 6, 6, dtype=torch.float64, requires_grad=True) for _ in "hc") for c in (4, 3)]
    plain = make_net(peephole).double()
    ckpt = make_net(peephole, checkpoint_every=every).double()
    out_a, final_a, grads_a = _outputs_and_grads(plain, x, state)
    out_b, final_b, grads_b = _outputs_and_grads(ckpt, x, state)
    torch.testing.assert_close(out_b, out_a, rtol=0, atol=0)
    torch.testing.assert_close(final_b, final_a, rtol=0, atol=0)
    assert len(grads_a) == len(grads_b) == 1 + len(list(plain.parameters())) + 4
    for a, b in zip(grads_a, grads_b):
        torch.testing.assert_close(b, a, rtol=1e-12, atol=1e-12)
    # Guard: the gradients are not all zero, and a different net gives different ones.
    assert all(g.abs().sum() > 0 for g in grads_a)
    other = randomize_(make_net(peephole), seed=7).double()
    assert (_outputs_and_grads(other, x, state)[2][0] - grads_a[0]).abs().max() > 1e-6


def test_checkpointing_recomputes_in_the_backward_pass():
    """With checkpointing the cells run twice per step (forward, then again for the gradients)."""
    calls = []
    net = make_net(checkpoint_every=2)
    for cell in net.cells:  # a pre-hook: the recomputation may stop early, inside a segment's last step
        cell.register_forward_pre_hook(lambda *args: calls.append(1))
    out, _ = net(torch.randn(1, 4, 2, 6, 6))
    assert len(calls) == 2 * 4  # two layers, four steps
    out.sum().backward()
    assert len(calls) == 2 * 2 * 4
    with torch.no_grad():  # no gradients, no checkpointing
        calls.clear()
        net(torch.randn(1, 4, 2, 6, 6))
        assert len(calls) == 2 * 4


@pytest.mark.parametrize("every", [0, -1, 1.5, "2", True])
def test_checkpoint_every_must_be_a_positive_int(every):
    with pytest.raises(ValueError, match=r"checkpoint_every \(or None\) to be an int >= 1"):
        ConvLSTM(1, 4, checkpoint_every=every)


EMPTY_SEQUENCES = {
    "conv-batch-first": (lambda: ConvLSTM(1, [4]), torch.zeros(2, 0, 1, 6, 6), r"\(2, 0, 1, 6, 6\)"),
    "conv-time-first": (lambda: ConvLSTM(1, [4], batch_first=False), torch.zeros(0, 2, 1, 6, 6),
                        r"\(0, 2, 1, 6, 6\)"),
    "fc": (lambda: FCLSTM(3, [4]), torch.zeros(2, 0, 3), r"\(2, 0, 3\)"),
}


@pytest.mark.parametrize("make,x,shape", EMPTY_SEQUENCES.values(), ids=EMPTY_SEQUENCES.keys())
def test_an_empty_sequence_is_refused_by_name(make, x, shape):
    with pytest.raises(ValueError, match="expected a sequence of at least one step, got x of shape " + shape):
        make()(x)

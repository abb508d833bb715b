"""float32 against bfloat16 autocast on this machine, side by side, interleaved and repeated.

    python scripts/bf16_speedups.py steps   # training steps of the bench and chapter-4 models
    python scripts/bf16_speedups.py fit     # fit end to end: default (amp=None) against amp=False

Each round times every case once in both precisions (in alternating order), so that load from
other processes falls on both alike; the medians over the rounds are reported.
"""
import json
import statistics
import sys
import time

import torch

from convlstm.metrics import sequence_cross_entropy
from convlstm.models import EncoderForecaster, FCLSTMForecaster


def _adam_step(model, batch, frame, steps=10):
    g = torch.Generator().manual_seed(1)
    frames = (torch.rand(batch, 2 * steps, 1, frame, frame, generator=g) > 0.8).float()
    opt = torch.optim.Adam(model.parameters(), 1e-3)

    def step(bf16):
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(frames[:, :steps], future=steps)
        sequence_cross_entropy(logits.float(), frames[:, steps:]).backward()
        opt.step()

    return step


def _bench_paper_step():
    from convlstm.bench import CONFIGS

    torch.manual_seed(0)
    return _adam_step(CONFIGS["paper"].model(), 8, 64)


def steps(rounds=5):
    torch.manual_seed(0)
    cases = {
        "bench paper training step, batch 8": _bench_paper_step(),
        "ch4 ConvLSTM EncoderForecaster(1, [32], 5), Adam, batch 16": _adam_step(
            EncoderForecaster(1, [32], kernel_size=5), 16, 64),
        "ch4 FC-LSTM FCLSTMForecaster((1, 64, 64), [256]), Adam, batch 16": _adam_step(
            FCLSTMForecaster((1, 64, 64), [256]), 16, 64),
    }
    times = {name: {False: [], True: []} for name in cases}
    for name, step in cases.items():  # warm-up
        step(False), step(True)
    for r in range(rounds):
        for name, step in cases.items():
            for bf16 in ((False, True) if r % 2 == 0 else (True, False)):
                start = time.perf_counter()
                step(bf16)
                times[name][bf16].append(time.perf_counter() - start)
    return {name: {"ms_float32": 1e3 * statistics.median(t[False]),
                   "ms_bf16": 1e3 * statistics.median(t[True]),
                   "speedup": statistics.median(t[False]) / statistics.median(t[True])}
            for name, t in times.items()}


def fit_end_to_end(rounds=2, n=400, epochs=2):
    from convlstm.moving_mnist import MovingMNIST
    from convlstm.training import fit

    out = []
    for r in range(rounds):
        train = MovingMNIST(n, split="train", seed=r)
        val = MovingMNIST(100, split="val", seed=r)
        for amp in ((None, False) if r % 2 == 0 else (False, None)):
            torch.manual_seed(r)
            model = EncoderForecaster(1, [32], kernel_size=5)
            start = time.perf_counter()
            history = fit(model, train, val, epochs=epochs, batch_size=16, seed=r, progress=False,
                          device="cpu", amp=amp)
            out.append({"seed": r, "amp": amp, "seconds": time.perf_counter() - start,
                        "val_loss": history.val_loss})
    return out


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "steps"
    result = steps() if what == "steps" else fit_end_to_end()
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), what: result}, indent=1))

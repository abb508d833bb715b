"""The paper-size GPU run, as the book reads it back: its scores file and its trained weights.

``bash scripts/gpu_full.sh`` on a GPU trains Table 1's best ConvLSTM and its FC-LSTM with
``python -m convlstm.train --paper ...`` and writes ``book/data/full_mnist_gpu.json`` (both
runs' scores, learning curves and logs) and ``book/data/full_mnist_conv.pt`` (the ConvLSTM's
best weights, in bfloat16 to stay small). Chapter 4 shows them when they are there. Both are
files a reader may not have, or may have half-copied, so each loader says what is wrong and
what to do, instead of a bare ``KeyError`` or an unpickling traceback:

* :func:`read_full_run` returns ``None`` for a missing file (the run has not been made) and
  raises ``ValueError`` for one that is not the JSON ``gpu_full.sh`` writes;
* :func:`load_weights` raises ``ValueError`` for a missing, unreadable or mismatched weights
  file, and casts bfloat16 weights to the model's own dtype.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

HOW_TO_MAKE = "run `bash scripts/gpu_full.sh` on a GPU (it writes book/data/)"
RUN_KEYS = ("model", "test", "history")  # what each run in the scores file must have


def read_full_run(path) -> dict | None:
    """The GPU run's scores, ``{"conv": {...}, "fc": {...}}``, or None if the file is not there.

    Each run has at least ``model`` (its Table 1 name), ``test`` (the scores of
    :func:`convlstm.training.evaluate`) and ``history`` (the learning curves of ``fit``).

    Examples:
        >>> read_full_run("no/such/file.json") is None
        True
    """
    path = Path(path)
    if not path.exists():
        return None
    try:
        runs = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"read_full_run: expected the JSON that scripts/gpu_full.sh writes in {path}, "
                         f"got unreadable text ({error}); delete it or {HOW_TO_MAKE}") from None
    if not isinstance(runs, dict) or not runs:
        raise ValueError(f"read_full_run: expected runs by name in {path}, got {type(runs).__name__} "
                         f"{str(runs)[:60]!r}; {HOW_TO_MAKE}")
    for name, run in runs.items():
        missing = [key for key in RUN_KEYS if not isinstance(run, dict) or key not in run]
        if missing:
            raise ValueError(f"read_full_run: expected run {name!r} in {path} to have {list(RUN_KEYS)}, "
                             f"it lacks {missing}; {HOW_TO_MAKE}")
    return runs


def load_weights(model: nn.Module, path) -> nn.Module:
    """Load a state dict saved by ``python -m convlstm.train`` into ``model``; return the model.

    Weights saved in bfloat16 (``--bf16-weights``) are cast to the dtype of the model's own
    parameters. A missing file, one ``torch.load`` cannot read (a partial download, a Git LFS
    pointer), or one whose names or shapes do not fit ``model`` is a ``ValueError`` that says so.

    Examples:
        >>> import tempfile, os
        >>> layer = nn.Linear(2, 2)
        >>> path = os.path.join(tempfile.mkdtemp(), "w.pt")
        >>> torch.save({k: v.bfloat16() for k, v in layer.state_dict().items()}, path)
        >>> load_weights(nn.Linear(2, 2), path).weight.dtype
        torch.float32
    """
    who = "load_weights"
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{who}: expected trained weights in {path}, found no file; {HOW_TO_MAKE}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several kinds for a damaged file
        raise ValueError(f"{who}: expected a PyTorch state dict in {path}, could not read it "
                         f"({type(error).__name__}: {str(error)[:120]}); the file may be incomplete: "
                         f"copy it again or {HOW_TO_MAKE}") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{who}: expected a state dict of tensors in {path}, got {type(state).__name__}")
    own = model.state_dict()
    if set(state) != set(own):
        raise ValueError(f"{who}: expected the weights of {type(model).__name__} ({len(own)} tensors) in "
                         f"{path}, got other names: missing {sorted(set(own) - set(state))[:3]}, "
                         f"unexpected {sorted(set(state) - set(own))[:3]}")
    shapes = [k for k in own if own[k].shape != state[k].shape]
    if shapes:
        k = shapes[0]
        raise ValueError(f"{who}: expected {k} of shape {tuple(own[k].shape)} in {path}, got "
                         f"{tuple(state[k].shape)}: the weights are of another model size")
    model.load_state_dict({k: v.to(own[k].dtype) for k, v in state.items()})
    return model

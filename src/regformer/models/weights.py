"""Initial weights for a network from a file, named in a model's config as `init:`.

    init: {weights: PATH or URL, format: enformer-pytorch | regformer, sha256: HEX (or md5: HEX), head: new | keep}

Formats: `enformer-pytorch` is that port's state dict (pytorch_model.bin or .safetensors; the released
Enformer weights, mapped by regformer.models.tracks.pretrained); `regformer` is a model.pt this workflow trained
(fine-tune a model trained here). Files are read with torch.load(weights_only=True): no pickled code runs.
Every tensor is accounted for: one the model lacks, one the model has but the file does not, or one of
another shape is an error naming it. `head: new` (the default) keeps the model's own freshly initialised
head (sized to the dataset's tracks) and drops the file's heads, listing them; `keep` loads them too.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from pathlib import Path

import torch

from regformer.errors import InputError
from regformer.io.download import fetch_url
from regformer.models.tracks.pretrained import from_enformer_pytorch

log = logging.getLogger(__name__)

FORMATS = ("enformer-pytorch", "regformer")
HEADS = ("new", "keep")
HEAD_PREFIX = "heads."
WEIGHTS_CACHE = Path("results/weights")  # downloaded weights, relative to the workflow's directory
# architecture settings a format's tensors imply (the released weights have the paper's BatchNorm and GELU)
FORMAT_ARCH = {"enformer-pytorch": {"conv_norm": "batch", "gelu": "sigmoid"}, "regformer": {}}


def check_init(init: Mapping) -> dict:
    """`init` with its defaults, or an InputError saying which key is wrong."""
    where = "config.yaml (model init:)"
    unknown = set(init) - {"weights", "format", "sha256", "md5", "head"}
    if unknown or "weights" not in init:
        raise InputError(where, f"init needs weights (a path or URL) and knows no {sorted(unknown)}",
                         "write init: {weights: PATH, format: enformer-pytorch|regformer, sha256: HEX}")
    init = {"format": "regformer", "head": "new", **init}
    if init["format"] not in FORMATS or init["head"] not in HEADS:
        raise InputError(where, f"format {init['format']!r} / head {init['head']!r} unknown",
                         f"use format one of {FORMATS} and head one of {HEADS}")
    if "://" in str(init["weights"]) and not init.get("sha256"):
        raise InputError(where, f"weights {init['weights']} is a URL without a sha256",
                         "add sha256: (the file's published checksum; `sha256sum FILE`)")
    return init


def _digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def weights_path(init: Mapping) -> Path:
    """The local file of init["weights"] (a URL is downloaded once, sha256-checked), its checksum verified."""
    source = str(init["weights"])
    if "://" in source:
        dest = WEIGHTS_CACHE / f"{init['sha256'][:12]}-{Path(source).name}"
        return dest if dest.exists() else fetch_url(source, dest, init["sha256"])
    path = Path(source)
    if not path.is_file():
        raise InputError(path, "initial weights file not found", "fix init.weights, or download the file first")
    for algorithm in ("sha256", "md5"):
        if init.get(algorithm):
            actual = _digest(path, algorithm)
            if actual.lower() != str(init[algorithm]).lower():
                raise InputError(path, f"{algorithm} is {actual}, init.{algorithm} says {init[algorithm]}",
                                 "download the file again, or correct the checksum in the config")
    return path


def read_state(path: Path, fmt: str) -> dict[str, torch.Tensor]:
    """The file's tensors in our model's names."""
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        state = load_file(str(path))
    else:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as err:  # noqa: BLE001 - any unpickling failure: the file is not plain tensors
            raise InputError(path, f"cannot be read as tensors with weights_only=True ({err})",
                             "give a state dict or a model.pt saved by torch.save") from err
    if fmt == "regformer":
        if not isinstance(state, Mapping) or not isinstance(state.get("model"), Mapping):
            raise InputError(path, "is not a model.pt of a regformer network (no 'model' state dict)",
                             "use results/<chain>/<dataset>/<model>/model.pt, or format: enformer-pytorch")
        if state.get("members", 1) != 1:
            raise InputError(path, f"holds a seed ensemble of {state['members']} networks", "start from one network")
        return dict(state["model"])
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise InputError(path, "is not a state dict (name -> tensor)", "give enformer-pytorch's pytorch_model.bin")
    return from_enformer_pytorch(state, str(path))


def _names(keys, limit: int = 6) -> str:
    keys = sorted(keys)
    return ", ".join(keys[:limit]) + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def load_matching(model: torch.nn.Module, state: Mapping[str, torch.Tensor], source: str, head: str = "keep") -> dict:
    """Load `state` into `model`, every tensor accounted for; {"loaded": n, "dropped": [file heads not loaded]}.

    With head "new" the model's heads (names under `heads.`) keep their initialisation and the file's are dropped.
    """
    expected = model.state_dict()
    dropped = []
    if head == "new":
        if not any(k.startswith(HEAD_PREFIX) for k in expected):
            raise InputError(source, f"head: new, but {type(model).__name__} has no separate head", "use head: keep")
        dropped = sorted(k for k in state if k.startswith(HEAD_PREFIX))
        state = {k: v for k, v in state.items() if not k.startswith(HEAD_PREFIX)}
        expected = {k: v for k, v in expected.items() if not k.startswith(HEAD_PREFIX)}
    problems = []
    if unexpected := set(state) - set(expected):
        problems.append(f"unexpected tensors (not in the model): {_names(unexpected)}")
    if missing := set(expected) - set(state):
        problems.append(f"missing tensors (the model has, the file lacks): {_names(missing)}")
    if misshaped := [k for k in set(state) & set(expected) if state[k].shape != expected[k].shape]:
        problems.append("mis-shaped tensors: " + ", ".join(
            f"{k} {tuple(state[k].shape)} vs the model's {tuple(expected[k].shape)}" for k in sorted(misshaped)[:6]))
    if problems:
        raise InputError(source, "; ".join(problems), "build the model the weights were trained with (size: full "
                         "and the paper's layers for the released Enformer; the same arch for a model.pt)")
    result = model.load_state_dict(state, strict=False)
    assert not result.unexpected_keys and all(k.startswith(HEAD_PREFIX) for k in result.missing_keys)
    if dropped:
        log.info("%s: new head; the file's head tensors were not loaded: %s", source, ", ".join(dropped))
    return {"loaded": len(state), "dropped": dropped}


def apply_init(model: torch.nn.Module, init: Mapping) -> dict:
    """Load the weights `init` names into `model` (see the module docstring); a summary for the log and report."""
    init = check_init(init)
    path = weights_path(init)
    report = load_matching(model, read_state(path, init["format"]), str(path), init["head"])
    log.info("initial weights %s (%s): %d tensors loaded", path, init["format"], report["loaded"])
    return {"weights": str(init["weights"]), "format": init["format"], "head": init["head"], **report}


def arch_for_init(model_name: str, arch: dict, user_config: Mapping) -> dict:
    """`arch` with what the config's init format implies (the released Enformer: the paper's BatchNorm and GELU,
    full size); a config that contradicts it is an error."""
    if not user_config.get("init"):
        return arch
    init = check_init(user_config["init"])
    if init["format"] != "enformer-pytorch":
        return arch
    where = "config.yaml (model init:)"
    if model_name != "enformer" or user_config.get("size") != "full":
        raise InputError(where, f"format enformer-pytorch on model {model_name} at size "
                         f"{user_config.get('size', 'demo')}: the released weights are a full-size Enformer",
                         "use it on enformer with size: full")
    for key, value in FORMAT_ARCH["enformer-pytorch"].items():
        if user_config.get(key, value) != value:
            raise InputError(where, f"{key}: {user_config[key]} contradicts the released weights ({key}: {value})",
                             f"remove {key} from the model config")
    return {**arch, **FORMAT_ARCH["enformer-pytorch"]}

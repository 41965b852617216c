"""Model specs: how to build a model, its full (paper) and demo configs, and its training defaults.

Each chain declares its models as ModelSpecs (regformer/chains/<chain>/specs.py); this module knows no chain.
`resolve_model_config`, the one reader of a config.yaml model entry ({size, arch: {...}, train: {...}}, or the
deprecated flat form), merges it with the model's defaults and rejects keys the model does not know and enum
values out of range, so a typo fails when the workflow starts instead of being ignored or failing mid-job.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from regformer.errors import InputError

TORCH = "torch"              # trained by gradient descent with Lightning (regformer.train.harness)
CLOSED_FORM = "closed_form"  # fitted in one pass over the store by its chain (ridge, distance baseline)
KINDS = (TORCH, CLOSED_FORM)
GENERAL_KEYS = {"size", "arch", "train", "network"}
SIZES = ("full", "demo")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    chain: str
    kind: str  # TORCH or CLOSED_FORM
    build: Callable[..., object]
    full: dict
    demo: dict
    training: dict = field(default_factory=dict)
    paper_parameters: int | None = None
    note: str = ""
    target_scale: bool = False  # the model takes the training targets' mean and std (set_target_scale) before fitting
    choices: dict = field(default_factory=dict)  # setting -> the values it accepts (train.recipes.choices builds it)
    provides: tuple = ()  # what other rules may need of this model beyond predictions (e.g. "cell_embeddings")

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"model {self.name}: kind {self.kind!r} is not one of {KINDS}")

    def n_parameters(self, size: str = "full") -> int:
        """Parameters at full or demo size, counted on torch's meta device (no memory for Enformer's 251 M)."""
        import torch

        from regformer.models.blocks import model_size

        with torch.device("meta"):
            return model_size(self.build(**(self.full if size == "full" else self.demo)))


def get_spec(specs: Mapping[str, ModelSpec], name: str) -> ModelSpec:
    """The spec called `name` among `specs`; an InputError listing the known names otherwise."""
    if name not in specs:
        raise InputError("config.yaml", f"unknown model {name!r}", f"use one of {sorted(specs)}")
    return specs[name]


def network_name(name: str, entry: Mapping | None) -> str:
    """The network a config entry trains: its `network:` (one network trained two ways under two names, e.g.
    enformer_finetuned: {network: enformer, ...}) or, without one, the entry's own name."""
    return (entry or {}).get("network") or name


def spec_of_entry(specs: Mapping[str, ModelSpec], name: str, entry: Mapping | None) -> ModelSpec:
    """The spec of config entry `name`; an InputError naming the entry when neither it nor its network is known."""
    network = network_name(name, entry)
    if network not in specs:
        how = f"its network {network!r} is not" if network != name else "it is not"
        raise InputError("config.yaml", f"model {name!r}: {how} one of this chain's networks {sorted(specs)}",
                         f"name the entry after one of them, or give it network: NAME (one of {sorted(specs)})")
    return specs[network]


def merge_entries(base: Mapping | None, override: Mapping | None) -> dict:
    """A dataset's model entry over the chain's entry of the same name: arch: and train: merged key by key,
    every other key (size, network) replaced."""
    merged = dict(base or {})
    for key, value in (override or {}).items():
        if key in ("arch", "train") and isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


FLAT_FORM_WARNING = ("config.yaml: model {model} sets {keys} at the top of its entry; this flat form is deprecated "
                     "(still read): put architecture settings under arch: and training settings under train:, "
                     "here {model}: {rewritten}")
_warned: set[str] = set()  # models whose flat entry was already reported in this process


def split_entry(spec: ModelSpec, user: dict) -> tuple[str, dict, dict]:
    """(size, architecture settings, training settings) of one config.yaml model entry, in the new form
    ({size, arch: {...}, train: {...}}) or today's flat one (reported once per model: how to rewrite it)."""
    user = dict(user)
    user.pop("network", None)  # which network (spec_of_entry), not one of its settings
    size = user.pop("size", "demo")
    arch, train = dict(user.pop("arch", None) or {}), dict(user.pop("train", None) or {})
    if user:
        flat = {key: value for key, value in user.items() if key not in spec.training}
        arch, train = {**arch, **flat}, {**train, **{key: user[key] for key in user if key not in flat}}
        if spec.name not in _warned:
            _warned.add(spec.name)
            rewritten = {"size": size, **({"arch": arch} if arch else {}), **({"train": train} if train else {})}
            message = FLAT_FORM_WARNING.format(model=spec.name, keys=", ".join(sorted(user)),
                                               rewritten=json.dumps(rewritten).replace('"', ""))
            log.warning(message)
            warnings.warn(message, DeprecationWarning, stacklevel=3)
    return size, arch, train


def flat_entry(user: dict | None) -> dict:
    """One config.yaml model entry as one flat dict (size and every setting), in either form: what a chain's
    arch_for_store reads to see which settings the user wrote."""
    user = dict(user or {})
    user.pop("network", None)
    arch, train = user.pop("arch", None) or {}, user.pop("train", None) or {}
    return {**user, **arch, **train}


def _reject_unknown(spec: ModelSpec, keys, known: set, where: str) -> None:
    """An InputError for the first of `keys` the model does not know, listing the keys it does."""
    for key in keys:
        if key not in known:
            raise InputError("config.yaml", f"model {spec.name}: unknown setting {key!r}{where}",
                             f"use one of {sorted(known)}")


def resolve_model_config(spec: ModelSpec, user: dict | None) -> tuple[dict, dict]:
    """(architecture kwargs, training settings) for one model entry of config.yaml: the spec's defaults at the
    entry's size, overridden by the entry; unknown keys and enum values out of range are InputErrors."""
    size, user_arch, user_train = split_entry(spec, user or {})
    if size not in SIZES:
        raise InputError("config.yaml", f"model {spec.name}: size {size!r} is not one of {list(SIZES)}",
                         "set size: full or size: demo")
    arch = dict(spec.full if size == "full" else spec.demo)
    training = dict(spec.training)
    new_form = any(key in (user or {}) for key in ("arch", "train"))
    if new_form:
        _reject_unknown(spec, user_arch, set(arch), " in arch")
        _reject_unknown(spec, user_train, set(training), " in train")
    else:  # flat: every unknown key landed in user_arch
        _reject_unknown(spec, user_arch, set(arch) | set(training) | GENERAL_KEYS, "")
    arch.update(user_arch)
    training.update(user_train)
    _check_choices(spec, {**arch, **training})
    return arch, training


def _check_choices(spec: ModelSpec, settings: dict) -> None:
    """An InputError naming the key, the value and the allowed values for an enum-valued setting out of range."""
    for key, values in spec.choices.items():
        if key in settings and settings[key] not in values:
            raise InputError("config.yaml", f"model {spec.name}: {key} {settings[key]!r} is not one of {list(values)}",
                             f"set {key} to one of {list(values)}")


def models_table(specs: Iterable[ModelSpec]) -> list[dict]:
    """One row per model: name, chain, kind, parameter counts at full and demo size, the paper's count."""
    return [
        {"model": s.name, "chain": s.chain, "kind": s.kind, "parameters_full": s.n_parameters("full"),
         "parameters_demo": s.n_parameters("demo"), "paper_parameters": s.paper_parameters}
        for s in specs
    ]

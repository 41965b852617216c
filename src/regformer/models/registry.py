"""Model specs: how to build a model, its full (paper) and demo configs, and its training defaults.

Each chain declares its models as ModelSpecs (regformer/chains/<chain>/specs.py); this module knows no chain.
`resolve_model_config` merges a model's defaults with the user's config.yaml entry and rejects keys the
model does not know, so a typo fails at once instead of being ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from regformer.errors import InputError

TORCH = "torch"              # trained by gradient descent with Lightning (regformer.train.harness)
CLOSED_FORM = "closed_form"  # fitted in one pass over the store by its chain (ridge, distance baseline)
KINDS = (TORCH, CLOSED_FORM)
GENERAL_KEYS = {"size"}


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


def get_spec(specs: Mapping[str, ModelSpec], name: str, chain: str | None = None) -> ModelSpec:
    """The spec called `name` among `specs`; an InputError listing the known names otherwise."""
    if name not in specs or (chain is not None and specs[name].chain != chain):
        known = sorted(n for n, s in specs.items() if chain is None or s.chain == chain)
        raise InputError("config.yaml", f"unknown model {name!r}" + (f" for chain {chain!r}" if chain else ""),
                         f"use one of {known}")
    return specs[name]


def resolve_model_config(spec: ModelSpec, user: dict | None) -> tuple[dict, dict]:
    """(architecture kwargs, training settings) for one model entry of config.yaml."""
    user = dict(user or {})
    size = user.pop("size", "demo")
    if size not in ("full", "demo"):
        raise InputError("config.yaml", f"model {spec.name}: size {size!r} is not 'full' or 'demo'",
                         "set size: full or size: demo")
    arch = dict(spec.full if size == "full" else spec.demo)
    training = dict(spec.training)
    for key, value in user.items():
        if key in training:
            training[key] = value
        elif key in arch:
            arch[key] = value
        else:
            raise InputError("config.yaml", f"model {spec.name}: unknown setting {key!r}",
                             f"use one of {sorted(set(training) | set(arch) | GENERAL_KEYS)}")
    return arch, training


def models_table(specs: Iterable[ModelSpec]) -> list[dict]:
    """One row per model: name, chain, kind, parameter counts at full and demo size, the paper's count."""
    return [
        {"model": s.name, "chain": s.chain, "kind": s.kind, "parameters_full": s.n_parameters("full"),
         "parameters_demo": s.n_parameters("demo"), "paper_parameters": s.paper_parameters}
        for s in specs
    ]

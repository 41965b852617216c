"""Every model of every chain: how to build it, its full (paper) and demo configs, training defaults.

`resolve_model_config` merges a model's defaults with the user's config.yaml entry, and rejects keys
the model does not know, so a typo fails at once instead of being ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from regformer.errors import InputError
from regformer.models.blocks import model_size


@dataclass(frozen=True)
class ModelSpec:
    name: str
    task: str
    kind: str  # "torch" (trained with Lightning), "sklearn" or "baseline" (fitted in closed form)
    build: Callable[..., object]
    full: dict
    demo: dict
    training: dict = field(default_factory=dict)
    paper_parameters: int | None = None
    note: str = ""

    def n_parameters(self, size: str = "full") -> int:
        return model_size(self.build(**(self.full if size == "full" else self.demo)))


def _promoter_transformer(**arch):
    from regformer.models.promoter_transformer import PromoterTransformer

    return PromoterTransformer(**arch)


def _kmer_ridge(**arch):
    from regformer.models.kmer_ridge import KmerRidge

    return KmerRidge(**arch)


TORCH_TRAINING = dict(max_epochs=30, batch_size=256, lr=1e-3, weight_decay=0.0, optimizer="adam", lr_schedule="none",
                      patience=5, gradient_clip_val=None, rc_augment=True, swa=False, swa_lr=None,
                      swa_epoch_start=0.8, swa_annealing_epochs=5, ema_decay=None, loss="mse", huber_delta=1.0,
                      members=1)

MODELS: dict[str, ModelSpec] = {
    "promoter_transformer": ModelSpec(
        name="promoter_transformer", task="promoter", kind="torch", build=_promoter_transformer,
        full=dict(length=110, stem_filters=128, kernel_size=7, conv_channels=256, n_residual=5, d_model=256, n_heads=8,
                  n_transformer=5, ff_dim=1024, lstm_hidden=128, dense_hidden=128, n_dense=2, dropout=0.3,
                  attention_dropout=0.1, conv_dropout=0.0, bn_momentum=0.1),
        demo=dict(length=110, stem_filters=32, kernel_size=7, conv_channels=48, n_residual=2, d_model=48, n_heads=2,
                  n_transformer=2, ff_dim=96, lstm_hidden=24, dense_hidden=64, n_dense=2, dropout=0.3,
                  attention_dropout=0.0, conv_dropout=0.0, bn_momentum=0.1),  # on CPUs, sampling attention dropout masks costs more than the rest
        training=dict(TORCH_TRAINING),
        paper_parameters=13_602_217,
        note=("The deck reports 13,602,217 parameters, but its Keras listing is not self-consistent (the feed-forward "
              "and LSTM widths are set to the head count, 8, and the bottleneck is a Dense on the flattened map that "
              "the transformer then does not use). We keep every documented layer and width (Conv1D 128 k7 shared by "
              "both strands, Conv2D 256 2x7, 5 residual blocks 256 k7, 5 post-norm transformer blocks with 8 heads, "
              "2 BiLSTM layers, GELU dense layers with dropout 0.3) and chose the undocumented widths (pointwise "
              "bottleneck to 256, feed-forward 1024, LSTM 128 per direction, dense 128 -> 64) so the total lands "
              "within 1% of the deck's count. PyTorch counts trainable parameters only; BatchNorm running "
              "statistics are buffers."),
    ),
    "kmer_ridge": ModelSpec(
        name="kmer_ridge", task="promoter", kind="sklearn", build=_kmer_ridge,
        full=dict(k_max=6), demo=dict(k_max=6),
        training=dict(alphas=[1.0, 10.0, 100.0, 1000.0, 10000.0], max_train_sequences=300_000),
        note="Classical baseline: ridge regression on k-mer counts (k = 1..6, 5,460 features + intercept); "
             "the penalty is chosen on the validation split. Trained on at most max_train_sequences sequences.",
    ),
}

def _hic_builder(module: str, cls: str):
    def build(**arch):
        import importlib

        return getattr(importlib.import_module(f"regformer.models.{module}"), cls)(**arch)

    return build


def _register_hic_models() -> None:
    from regformer.models.hic_specs import HIC_MODEL_SPECS

    classes = {"akita": ("akita", "Akita"), "akita_transformer": ("akita_transformer", "AkitaTransformer"),
               "akita_vae": ("akita_vae", "AkitaVAE"), "distance_baseline": ("distance_baseline", "DistanceBaseline")}
    for name, (module, cls) in classes.items():
        spec = HIC_MODEL_SPECS[name]
        MODELS[name] = ModelSpec(name=name, task="hic", kind=spec.get("kind", "torch"), build=_hic_builder(module, cls), full=spec["full"],
                                 demo=spec["demo"], training=dict(spec["training"]),
                                 paper_parameters=spec["paper_parameters"], note=spec["note"])


_register_hic_models()

GENERAL_KEYS = {"size"}


def get_spec(name: str, task: str | None = None) -> ModelSpec:
    if name not in MODELS or (task is not None and MODELS[name].task != task):
        known = sorted(n for n, s in MODELS.items() if task is None or s.task == task)
        raise InputError("config.yaml", f"unknown model {name!r}" + (f" for task {task!r}" if task else ""),
                         f"use one of {known}")
    return MODELS[name]


def resolve_model_config(name: str, user: dict | None, task: str | None = None) -> tuple[dict, dict]:
    """(architecture kwargs, training settings) for one model entry of config.yaml."""
    spec = get_spec(name, task)
    user = dict(user or {})
    size = user.pop("size", "demo")
    if size not in ("full", "demo"):
        raise InputError("config.yaml", f"model {name}: size {size!r} is not 'full' or 'demo'", "set size: full or size: demo")
    arch = dict(spec.full if size == "full" else spec.demo)
    training = dict(spec.training)
    for key, value in user.items():
        if key in training:
            training[key] = value
        elif key in arch:
            arch[key] = value
        else:
            raise InputError("config.yaml", f"model {name}: unknown setting {key!r}",
                             f"use one of {sorted(set(training) | set(arch) | GENERAL_KEYS)}")
    return arch, training


def models_table() -> list[dict]:
    """One row per model: name, task, kind, parameter counts at full and demo size, the paper's count."""
    return [
        {"model": s.name, "task": s.task, "kind": s.kind, "parameters_full": s.n_parameters("full"),
         "parameters_demo": s.n_parameters("demo"), "paper_parameters": s.paper_parameters}
        for s in MODELS.values()
    ]

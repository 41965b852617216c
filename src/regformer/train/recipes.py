"""The training recipe: every gradient-descent setting with its default, written once (no torch import: the
workflow reads it while it builds the job graph).

A chain or model derives its recipe from RECIPE (`dataclasses.replace(RECIPE, lr=..., optimizer="sgd")`) and its
ModelSpec holds `recipe_dict(...)`, the plain dict view the trainer reads; keys a single chain adds (promoter's
soft_bin_sd, atacFormer's mask_ratio) are passed to recipe_dict beside the shared ones. `choices(...)` gives a
ModelSpec the values its enum-valued settings accept, which resolve_model_config checks at workflow start.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

# the values each enum-valued setting accepts (regformer.train.module, train.runner and train.finetune read them)
CHOICES: dict[str, tuple] = {
    "optimizer": ("adam", "adamw", "sgd"),
    "lr_schedule": ("none", "plateau", "cosine", "warmup", "onecycle"),
    "loss": ("mse", "huber", "poisson", "soft_bin_kl"),
    "freeze": ("none", "trunk"),
}


@dataclass(frozen=True)
class Recipe:
    """How a network is trained with Lightning (regformer.train.harness); the defaults are the demo's."""

    max_epochs: int = 30
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 0.0
    optimizer: str = "adam"
    momentum: float = 0.9  # sgd only
    lr_schedule: str = "none"
    warmup_steps: int = 0  # lr_schedule warmup only
    patience: int = 5
    gradient_clip_val: float | None = None
    rc_augment: bool = True
    shift_augment: int = 0
    swa: bool = False
    swa_lr: float | None = None
    swa_epoch_start: float = 0.8
    swa_annealing_epochs: int = 5
    ema_decay: float | None = None
    loss: str = "mse"  # ignored by a network with its own training_loss (see ModelSpec.choices)
    huber_delta: float = 1.0  # loss huber only, in standard deviations of the training targets
    members: int = 1
    # fine-tuning (regformer.train.finetune, docs/pretrained.md): start weights, frozen trunk, gradient accumulation
    init: dict | None = None
    freeze: str = "none"
    unfreeze_after: int | None = None
    unfreeze_lr: float | None = None
    accumulate_grad_batches: int = 1


RECIPE = Recipe()
SHARED_KEYS = tuple(asdict(RECIPE))

# Settings that may grow between runs without invalidating the checkpoints (training continues instead).
RESUMABLE_KEYS = ("max_epochs", "patience", "members")
# Settings read when a trained model is evaluated, not while it trains (changing them keeps the checkpoints).
EVALUATION_KEYS = ("vae_samples",)

# Lightning Trainer settings (config.yaml's trainer block) when the config leaves one out.
TRAINER_DEFAULTS = dict(accelerator="auto", devices="auto", num_nodes=1, precision="auto", num_workers=0,
                        progress_bar=True, log_every_n_steps=10, strategy="auto", compile=False)


def recipe_dict(recipe: Recipe = RECIPE, **extra) -> dict:
    """The plain dict a ModelSpec holds: every shared key of `recipe`, then a chain's own keys (`extra`)."""
    clash = set(extra) & set(SHARED_KEYS)
    if clash:
        raise ValueError(f"{sorted(clash)} are shared recipe keys: set them with dataclasses.replace")
    return {**asdict(recipe), **extra}


def derive(base: Recipe = RECIPE, **changes) -> Recipe:
    """`base` with `changes` (dataclasses.replace, named for reading in a chain's specs)."""
    return replace(base, **changes)


def choices(**narrowed: tuple) -> dict:
    """A network's ModelSpec.choices: CHOICES, with some keys narrowed for this model (a Hi-C network trains on its
    own MSE loss: choices(loss=("mse",))) or arch enums added (Enformer's conv_norm)."""
    return {**CHOICES, **narrowed}

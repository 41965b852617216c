"""One training recipe (regformer.train.recipes): every model derives its defaults from it, enum values are
checked when the config is resolved, and the model entry may separate arch from train settings."""

import warnings

import pytest
import yaml
from conftest import REPO

from regformer.chains.registry import chain_models
from regformer.errors import InputError
from regformer.models import registry
from regformer.models.registry import TORCH, flat_entry, resolve_model_config
from regformer.train.recipes import CHOICES, RECIPE, SHARED_KEYS, TRAINER_DEFAULTS, derive, recipe_dict

CHAINS = ("promoter", "hic", "tracks", "scatac")
TORCH_MODELS = [(c, n) for c in CHAINS for n, s in chain_models(c).items() if s.kind == TORCH]


@pytest.mark.parametrize("chain, name", TORCH_MODELS)
def test_every_network_has_every_shared_key(chain, name):
    spec = chain_models(chain)[name]
    for size in ("demo", "full"):
        _, training = resolve_model_config(spec, {"size": size})
        assert set(SHARED_KEYS) <= set(training), set(SHARED_KEYS) - set(training)
        assert training == spec.training
    assert set(CHOICES) <= set(spec.choices)  # every network's enum settings are checked at workflow start


def test_defaults_are_unchanged():
    """Known values of each model's recipe before the recipe was written once (issue 26)."""
    def training(chain, name):
        return resolve_model_config(chain_models(chain)[name], {})[1]

    akita = training("hic", "akita")
    assert (akita["lr"], akita["optimizer"], akita["momentum"], akita["batch_size"]) == (0.0065, "sgd", 0.99575, 2)
    assert akita["shift_augment"] == 11 and akita["swa"] is False and akita["patience"] == 12
    transformer, vae = training("hic", "akita_transformer"), training("hic", "akita_vae")
    assert (transformer["lr"], transformer["swa_lr"], transformer["gradient_clip_val"]) == (0.0045, 0.00085, 10.7)
    assert (vae["lr"], vae["swa_lr"], vae["momentum"], vae["vae_samples"]) == (0.004, 0.0025, 0.975, 20)
    enformer = training("tracks", "enformer")
    assert (enformer["warmup_steps"], enformer["lr_schedule"], enformer["lr"], enformer["batch_size"]) == (
        5000, "warmup", 5e-4, 64)
    assert enformer["loss"] == "poisson" and enformer["gradient_clip_val"] == 0.2 and enformer["max_epochs"] == 150
    swin = training("tracks", "swin1d")
    assert (swin["lr_schedule"], swin["shift_augment"], swin["batch_size"], swin["lr"]) == ("cosine", 3, 8, 3e-4)
    legnet = training("promoter", "legnet")
    assert (legnet["lr"], legnet["optimizer"], legnet["lr_schedule"], legnet["loss"]) == (
        0.005, "adamw", "onecycle", "soft_bin_kl")
    assert (legnet["max_epochs"], legnet["batch_size"], legnet["patience"]) == (80, 1024, 80)
    assert legnet["soft_bin_sd"] == 0.5
    promoter = training("promoter", "promoter_transformer")
    assert promoter == recipe_dict(RECIPE, soft_bin_sd=0.5) and promoter["lr"] == 1e-3 and promoter["loss"] == "mse"
    atac = training("scatac", "atacformer")
    assert (atac["batch_size"], atac["lr"], atac["optimizer"], atac["weight_decay"]) == (16, 3e-4, "adamw", 0.01)
    assert (atac["rc_augment"], atac["gradient_clip_val"], atac["mask_ratio"]) == (False, 1.0, 0.15)
    # closed-form models keep their own small settings
    assert training("promoter", "kmer_ridge") == {"max_train_sequences": 300_000}
    assert training("tracks", "kmer_ridge") == {"max_train_windows": 2000}


def test_huber_resolves_for_tracks():
    _, training = resolve_model_config(chain_models("tracks")["swin1d"], {"loss": "huber"})
    assert training["loss"] == "huber" and training["huber_delta"] == 1.0


def test_hic_gains_members_and_schedule():
    _, training = resolve_model_config(chain_models("hic")["akita"], {"train": {"members": 2, "lr_schedule": "cosine"}})
    assert training["members"] == 2 and training["lr_schedule"] == "cosine"


@pytest.mark.parametrize("entry, message", [
    ({"optimizer": "adagrad"}, r"optimizer 'adagrad' is not one of \['adam', 'adamw', 'sgd'\]"),
    ({"train": {"lr_schedule": "step"}}, r"lr_schedule 'step' is not one of \['none', 'plateau'"),
    ({"train": {"freeze": "all"}}, r"freeze 'all' is not one of \['none', 'trunk'\]"),
    ({"train": {"loss": "soft_bin_kl"}}, r"loss 'soft_bin_kl' is not one of \['mse', 'huber', 'poisson'\]"),
    ({"arch": {"conv_norm": "group"}}, r"conv_norm 'group' is not one of \['layer', 'batch'\]"),
    ({"size": "huge"}, r"size 'huge' is not one of \['full', 'demo'\]"),
])
def test_bad_enum_names_the_allowed_values(entry, message):
    with pytest.raises(InputError, match=message):
        resolve_model_config(chain_models("tracks")["enformer"], entry)


def test_arch_and_train_sections_match_the_flat_form():
    spec = chain_models("tracks")["enformer"]
    new = resolve_model_config(spec, {"size": "demo", "arch": {"channels": 48}, "train": {"lr": 0.002}})
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        flat = resolve_model_config(spec, {"size": "demo", "channels": 48, "lr": 0.002})
    assert new == flat and new[0]["channels"] == 48 and new[1]["lr"] == 0.002
    assert flat_entry({"size": "full", "arch": {"channels": 48}, "train": {"lr": 0.002}}) == {
        "size": "full", "channels": 48, "lr": 0.002}


def test_flat_form_is_deprecated_once():
    spec = chain_models("scatac")["atacformer"]
    registry._warned.discard("atacformer")  # once per process: forget an earlier test's warning
    rewritten = r"atacformer: \{size: full, arch: \{d_model: 32\}, train: \{lr: 0.0001\}\}"
    with pytest.warns(DeprecationWarning, match=rewritten):
        resolve_model_config(spec, {"size": "full", "lr": 1e-4, "d_model": 32})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resolve_model_config(spec, {"lr": 1e-4})
    assert not [w for w in caught if issubclass(w.category, DeprecationWarning)]


def test_misplaced_keys_are_named():
    spec = chain_models("tracks")["enformer"]
    with pytest.raises(InputError, match="unknown setting 'lr' in arch"):
        resolve_model_config(spec, {"arch": {"lr": 0.1}})
    with pytest.raises(InputError, match="unknown setting 'channels' in train"):
        resolve_model_config(spec, {"train": {"channels": 8}})


def test_derive_and_recipe_dict():
    sgd = derive(RECIPE, optimizer="sgd", lr=0.1)
    assert sgd.optimizer == "sgd" and RECIPE.optimizer == "adam"
    with pytest.raises(ValueError, match="shared recipe keys"):
        recipe_dict(RECIPE, lr=0.1)
    assert set(CHOICES) <= set(SHARED_KEYS)


def test_schema_matches_the_recipe_constants():
    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    trainer = schema["properties"]["trainer"]["properties"]
    assert {k: trainer[k]["default"] for k in trainer} == {k: v for k, v in TRAINER_DEFAULTS.items() if k in trainer}
    model = schema["definitions"]["model_train"]["properties"]
    for key, values in CHOICES.items():
        assert tuple(model[key]["enum"]) == values, key


def test_vae_samples_is_a_model_setting():
    from regformer.evaluate.runner import sampling_draws

    hic = chain_models("hic")
    vae = hic["akita_vae"]
    assert resolve_model_config(vae, {"train": {"vae_samples": 7}})[1]["vae_samples"] == 7
    assert sampling_draws(vae, {"name": "akita_vae", "training": {"vae_samples": 7}}, {}) == 7
    assert sampling_draws(vae, {"name": "akita_vae"}, {}) == 20  # a model saved before the setting moved
    assert sampling_draws(vae, {"name": "akita_vae", "training": {"vae_samples": 7}}, {"vae_samples": 5}) == 5
    assert sampling_draws(hic["akita"], {"name": "akita", "training": {}}, {"vae_samples": 5}) is None


def test_promoter_length_is_written_once():
    from regformer.chains.promoter.specs import PROMOTER_LENGTH

    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    assert schema["definitions"]["promoter_dataset"]["properties"]["length"]["default"] == PROMOTER_LENGTH
    for spec in chain_models("promoter").values():
        assert spec.demo.get("length", PROMOTER_LENGTH) == spec.full.get("length", PROMOTER_LENGTH) == PROMOTER_LENGTH


def test_report_shows_only_the_recipe_keys_that_act():
    from regformer.report.record import FINETUNE_KEYS, applicable_recipe

    shown = applicable_recipe(recipe_dict(RECIPE))
    assert not {"momentum", "warmup_steps", *FINETUNE_KEYS} & set(shown) and shown["lr"] == RECIPE.lr
    assert applicable_recipe(recipe_dict(derive(RECIPE, optimizer="sgd")))["momentum"] == 0.9
    assert applicable_recipe(recipe_dict(derive(RECIPE, freeze="trunk")))["freeze"] == "trunk"


def test_metrics_record_the_loss_a_network_brings_itself():
    """atacFormer trains with cross-entropy over tile states, the VAE with mse+kl: metrics.json says so, not the
    recipe's unused `loss: mse`; a network without its own loss keeps the recipe's."""
    import torch

    from regformer.evaluate.runner import recorded_recipe

    with torch.device("meta"):
        atac = chain_models("scatac")["atacformer"]
        vae = chain_models("hic")["akita_vae"]
        cnn = chain_models("tracks")["maxpool_cnn"]
        models = {name: spec.build(**spec.demo) for name, spec in (("atac", atac), ("vae", vae), ("cnn", cnn))}
    assert recorded_recipe(models["atac"], atac.training)["loss"] == "cross_entropy"
    assert recorded_recipe(models["vae"], vae.training)["loss"] == "mse+kl"
    assert recorded_recipe(models["cnn"], cnn.training)["loss"] == cnn.training["loss"] == "poisson"


def test_report_note_does_not_call_a_networks_own_loss_a_change():
    from regformer.report.notes import recipe_note

    atac = chain_models("scatac")["atacformer"]
    note = recipe_note(atac, {"recipe": {**atac.training, "loss": "cross_entropy", "lr": 0.003}})
    assert "lr 0.003" in note and "loss" not in note
    enformer = chain_models("tracks")["enformer"]
    assert "loss huber (poisson)" in recipe_note(enformer, {"recipe": {**enformer.training, "loss": "huber"}})

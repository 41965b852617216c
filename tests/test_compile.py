"""trainer.compile: the harness trains a torch.compile'd model and keeps eager parameter names and values."""

import time

import pytest
import torch

from regformer.chains.promoter.chain import PromoterChain
from regformer.train.runner import train_model

# A tiny LegNet, one epoch of 2 training steps (960 training promoters in batches of 512), no schedule
TINY = dict(stem_channels=8, block_channels=[8, 8], expansion=2, max_epochs=1, batch_size=512, patience=5,
            lr_schedule="none", loss="mse", strand_channel=False, singleton_channel=False)
CPU = {"accelerator": "cpu", "progress_bar": False}


@pytest.mark.slow  # measured: the compiled run takes ~60 s on this project's busy 2-core CPU (eager: ~5 s)
def test_trainer_compile_trains_like_eager(synthetic_store, tmp_path):
    states = {}
    for name, cfg in (("eager", CPU), ("compiled", {**CPU, "compile": True})):
        out = tmp_path / name / "model.pt"
        started = time.perf_counter()
        summary = train_model(PromoterChain(), "legnet", TINY, synthetic_store, out, trainer_cfg=cfg, seed=3)
        print(name, "seconds", round(time.perf_counter() - started, 1))
        assert summary["epochs_trained"] == 1
        states[name] = torch.load(out, weights_only=False)["model"]
    assert list(states["compiled"]) == list(states["eager"])  # no _orig_mod. prefixes
    for key, value in states["eager"].items():
        if value.is_floating_point():  # after 2 steps the weights agree to float rounding
            torch.testing.assert_close(states["compiled"][key], value, rtol=1e-3, atol=1e-4, msg=key)


def test_compile_is_off_by_default_and_the_schema_checks_it():
    import yaml
    from conftest import REPO
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate

    from regformer.train.recipes import TRAINER_DEFAULTS

    assert TRAINER_DEFAULTS["compile"] is False
    schema = str(REPO / "workflow" / "schemas" / "config.schema.yaml")
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    validate(config, schema)
    assert config["trainer"]["compile"] is False  # the schema's default filled in
    config["trainer"]["compile"] = True
    validate(config, schema)
    config["trainer"]["compile"] = "yes"
    with pytest.raises(WorkflowError, match="compile"):
        validate(config, schema)

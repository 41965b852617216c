"""Every shipped promoter recipe (workflow/configs/promoter_*.yaml) passes the config schema and names only
registered promoter models with keys their specs accept, so a user's rerun of a README table cannot fail on a
typo."""

import pytest
import yaml
from conftest import REPO
from snakemake.utils import validate

from regformer.chains.registry import chain_models
from regformer.models.registry import flat_entry, resolve_model_config

SCHEMA = str(REPO / "workflow" / "schemas" / "config.schema.yaml")
RECIPES = sorted((REPO / "workflow" / "configs").glob("promoter_*.yaml"))


def test_recipes_are_found():
    assert {p.name for p in RECIPES} >= {"promoter_legnet.yaml", "promoter_ensembles.yaml", "promoter_real.yaml"}


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_promoter_recipe_is_valid(path):
    config = yaml.safe_load(path.read_text())
    validate(config, SCHEMA, set_default=True)
    specs = chain_models("promoter")
    for name, model_config in config["promoter"]["models"].items():
        arch, training = resolve_model_config(specs[name], model_config)
        assert training.get("members", 1) >= 1 and arch


def test_ensemble_recipe_matches_the_single_networks():
    """promoter_ensembles.yaml averages seeds of promoter_legnet.yaml's networks: same data, split and recipe."""
    single = yaml.safe_load((REPO / "workflow/configs/promoter_legnet.yaml").read_text())["promoter"]
    ensembles = yaml.safe_load((REPO / "workflow/configs/promoter_ensembles.yaml").read_text())["promoter"]
    (dataset,) = ensembles["datasets"].values()
    assert dataset == single["datasets"]["dream2022_demo"]
    for name, entry in ensembles["models"].items():
        recipe = flat_entry(entry)
        assert {k: v for k, v in recipe.items() if k != "members"} == flat_entry(single["models"][name])
        assert recipe.get("members", 1) == (1 if name == "kmer_ridge" else 4)

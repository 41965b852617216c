"""config.yaml is validated against the schema; typos and wrong types stop the run naming the key."""

import copy

import pytest
import yaml
from conftest import REPO
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from regformer.errors import InputError
from regformer.chains.registry import chain_models
from regformer.models.registry import resolve_model_config

SCHEMA = str(REPO / "workflow" / "schemas" / "config.schema.yaml")


@pytest.fixture
def demo_config():
    return yaml.safe_load((REPO / "config.yaml").read_text())


def test_demo_and_real_configs_are_valid(demo_config):
    validate(demo_config, SCHEMA, set_default=True)
    assert demo_config["trainer"]["num_nodes"] == 1  # defaults filled in
    assert demo_config["promoter"]["datasets"]["demo"]["format"] == "dream"
    validate(yaml.safe_load((REPO / "workflow/configs/promoter_real.yaml").read_text()), SCHEMA)
    yeast = yaml.safe_load((REPO / "workflow/configs/tracks_yeast.yaml").read_text())
    validate(yeast, SCHEMA, set_default=True)
    assert yeast["tracks"]["datasets"]["yeast"]["test_chroms"] == ["II"] and demo_config["tracks"]["models"]
    paper = yaml.safe_load((REPO / "workflow/configs/hic_akita.yaml").read_text())
    validate(paper, SCHEMA, set_default=True)
    assert [m["name"] for m in paper["hic"]["datasets"]["akita5"]["maps"]] == ["HFF", "H1hESC", "GM12878", "IMR90",
                                                                               "HCT116"]
    assert paper["hic"]["datasets"]["akita5"]["seq_length"] == 2**20 and paper["hic"]["datasets"]["akita5"]["bin_size"] == 2048


@pytest.mark.parametrize("mutate, key", [
    (lambda c: c["trainer"].update(acelerator="gpu"), "acelerator"),
    (lambda c: c["trainer"].update(accelerator="fpga"), "fpga"),
    (lambda c: c["promoter"]["datasets"]["demo"]["split"].update(train="most"), "most"),
    (lambda c: c["promoter"]["models"].update(enformer_xl={}), "enformer_xl"),
    (lambda c: c["promoter"]["models"]["promoter_transformer"].update(max_epochs=2.5), "2.5"),
    (lambda c: c["promoter"]["datasets"].update(x={"url": "https://e.org/f.txt"}), "sha256"),
    (lambda c: c["promoter"]["datasets"].update(x={"path": "a.csv", "format": "table"}), "sequence_column"),
    (lambda c: c["promoter"]["models"]["promoter_transformer"].update(loss="l1"), "l1"),
    (lambda c: c["promoter"]["models"]["promoter_transformer"].update(members=0), "members"),
    (lambda c: c["hic"]["models"]["akita"].update(ema_decay=1.5), "ema_decay"),
    (lambda c: c["hic"]["models"].update(akita_xl={}), "akita_xl"),
    (lambda c: c["hic"]["datasets"]["demo"].update(strid=5), "strid"),
    (lambda c: c["hic"]["datasets"].update(x={"fasta": "g.fa", "maps": [{"name": "a", "url": "https://e.org/a.mcool"}]}),
     "sha256"),
])
def test_bad_config_is_rejected_naming_the_key(demo_config, mutate, key):
    bad = copy.deepcopy(demo_config)
    mutate(bad)
    with pytest.raises(WorkflowError, match=key):
        validate(bad, SCHEMA)


def test_unknown_architecture_key_is_rejected():
    with pytest.raises(InputError, match="promoter_transformer: unknown setting 'n_layerz'"):
        resolve_model_config(chain_models("promoter")["promoter_transformer"], {"n_layerz": 3})
    arch, training = resolve_model_config(chain_models("promoter")["promoter_transformer"], {"size": "full", "lr": 5e-4, "d_model": 128})
    assert arch["n_residual"] == 5 and arch["d_model"] == 128 and training["lr"] == 5e-4
    with pytest.raises(InputError, match="akita: unknown setting 'loss'"):  # Hi-C losses are the papers'
        resolve_model_config(chain_models("hic")["akita"], {"loss": "huber"})


def test_minimal_dataset_gets_the_default_split_and_format():
    config = {"promoter": {"datasets": {"mine": {"path": "lib.txt"}}, "models": {"kmer_ridge": {}}}}
    validate(config, SCHEMA, set_default=True)
    dataset = config["promoter"]["datasets"]["mine"]
    assert dataset["split"] == {"train": 0.8, "val": 0.1, "test": 0.1, "seed": 0}
    assert dataset["format"] == "dream" and dataset["length"] == 110
    assert config["cluster"]["gpu_model"] == "a100" and config["trainer"]["accelerator"] == "auto"

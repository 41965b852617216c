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
    (lambda c: c["promoter"]["models"].update({"enformer-xl": {}}), "enformer-xl"),  # names: letters, digits, _ (check_models: a network)
    (lambda c: c["promoter"]["models"]["promoter_transformer"].update(max_epochs=2.5), "2.5"),
    (lambda c: c["promoter"]["datasets"].update(x={"url": "https://e.org/f.txt"}), "sha256"),
    (lambda c: c["promoter"]["datasets"].update(x={"path": "a.csv", "format": "table"}), "sequence_column"),
    (lambda c: c["promoter"]["models"]["promoter_transformer"].update(loss="l1"), "l1"),
    (lambda c: c["promoter"]["models"]["promoter_transformer"].update(members=0), "members"),
    (lambda c: c["hic"]["models"]["akita"].update(ema_decay=1.5), "ema_decay"),
    (lambda c: c["hic"]["models"].update({"akita xl": {}}), "akita xl"),
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
    with pytest.raises(InputError, match=r"akita: loss 'huber' is not one of \['mse'\]"):  # Hi-C losses are the papers'
        resolve_model_config(chain_models("hic")["akita"], {"loss": "huber"})


def test_minimal_dataset_gets_the_default_split_and_format():
    config = {"promoter": {"datasets": {"mine": {"path": "lib.txt"}}, "models": {"kmer_ridge": {}}}}
    validate(config, SCHEMA, set_default=True)
    dataset = config["promoter"]["datasets"]["mine"]
    assert dataset["split"] == {"train": 0.8, "val": 0.1, "test": 0.1, "seed": 0}
    assert dataset["format"] == "dream" and dataset["length"] == 110
    assert config["cluster"]["gpu_model"] == "a100" and config["trainer"]["accelerator"] == "auto"


@pytest.mark.parametrize("mutate, key, where", [
    (lambda c: c["trainer"].update(acelerator="gpu"), "acelerator", "trainer"),
    (lambda c: c["trainer"].update(accelerator="fpga"), "auto, cpu, gpu, tpu", "trainer.accelerator"),
    (lambda c: c["promoter"]["datasets"]["demo"]["split"].update(train="most"), "most",
     "promoter.datasets.demo.split.train"),
    (lambda c: c["hic"]["datasets"]["demo"].update(strid=5), "strid", "hic.datasets.demo"),
    (lambda c: c["promoter"]["models"]["promoter_transformer"].update(loss="l1"), "l1",
     "promoter.models.promoter_transformer"),
])
def test_schema_error_is_a_few_lines_naming_the_file_key_path_and_allowed_values(demo_config, mutate, key, where):
    from regformer.config_check import schema_problem

    bad = copy.deepcopy(demo_config)
    mutate(bad)
    message = schema_problem(bad, SCHEMA, ["my.yaml"])
    assert message is not None and len(message.splitlines()) <= 6, message
    assert "my.yaml" in message and key in message and f"at {where}" in message and "allowed:" in message


def test_demo_config_has_no_schema_problem(demo_config):
    from regformer.config_check import check_split_fractions, schema_problem

    assert schema_problem(demo_config, SCHEMA) is None
    validate(demo_config, SCHEMA, set_default=True)
    check_split_fractions(demo_config)
    assert demo_config["promoter"]["datasets"]["demo"]["duplicates"] == "mean"  # the default policy


def test_split_fractions_not_summing_to_one_are_caught_naming_dataset_and_file(demo_config):
    from regformer.config_check import ConfigError, check_split_fractions

    demo_config["promoter"]["datasets"]["demo"]["split"] = {"train": 0.8, "val": 0.3, "test": 0.1}
    validate(demo_config, SCHEMA, set_default=True)
    with pytest.raises(ConfigError, match=r"mine\.yaml: promoter\.datasets\.demo\.split: .* = 1\.2, not 1"):
        check_split_fractions(demo_config, ["mine.yaml"])


def test_simulated_hic_must_reach_across_a_window(demo_config):
    from regformer.config_check import ConfigError, check_chain_sections

    check_chain_sections(demo_config)  # the demo: 160 bins simulated for 128-bin windows (the Hi-C chain's check)
    demo_config["hic"]["datasets"]["demo"]["synthetic"]["max_distance_bins"] = 100
    with pytest.raises(ConfigError, match=r"mine\.yaml: hic\.datasets\.demo\.synthetic\.max_distance_bins: 100 is "
                                          r"below the window's 128 bins(?s:.*)at least 128"):
        check_chain_sections(demo_config, ["mine.yaml"])


def test_snakemake_prints_a_short_schema_error_naming_the_config_file(demo_config, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    demo_config["trainer"]["accelerator"] = "fpga"
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump(demo_config))
    snakemake = str(Path(sys.executable).with_name("snakemake"))
    result = subprocess.run([snakemake, "--snakefile", str(REPO / "Snakefile"), "--directory", str(tmp_path), "-n",
                             "--configfile", str(tmp_path / "mine.yaml")], capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert "mine.yaml" in out and "trainer.accelerator" in out and "fpga" in out
    assert len(out.strip().splitlines()) < 15, out

"""Every shipped config in workflow/configs/ plans (`snakemake -n --configfile ...`); the Akita preset plans each of
its five maps from raw pairs to training on the GPU partition with `--profile slurm`, found as typed."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO

SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
CONFIGS = sorted((REPO / "workflow" / "configs").glob("*.yaml"))
PATH_KEYS = {"fasta", "uri", "path", "targets", "fragments", "chrom_sizes", "blacklist", "pairs", "labels"}


def _local_paths(node, key=None):
    """Every local file a config names (a url: entry is downloaded by the workflow, so it is not one)."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _local_paths(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from _local_paths(v, key)
    elif isinstance(node, str) and (key in PATH_KEYS or ("/" in node and "://" not in node and " " not in node)):
        yield node.split("::")[0]


def _stand_in(work: Path, path: str) -> None:
    """The file as the config's relative path finds it from `work`: the checkout's own, else an empty stand-in
    (a dry run plans jobs and reads no data file; a targets table is copied with stand-ins for its files)."""
    dest = work / path
    if dest.exists() or Path(path).is_absolute():
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    source = REPO / path
    if path.endswith(".tsv") and source.exists():
        text = source.read_text()
        dest.write_text(text)
        for row in csv.DictReader(text.splitlines(), delimiter="\t"):
            if row.get("file"):  # a targets table names files; a labels table (barcode, cell type) does not
                _stand_in(work, row["file"])
    elif source.exists():
        dest.symlink_to(source.resolve())
    else:
        dest.touch()


def _dry_run(config: Path, tmp_path: Path, *extra: str, env: dict | None = None) -> str:
    work = tmp_path / "checkout" / "run"
    work.mkdir(parents=True)
    for path in _local_paths(yaml.safe_load(config.read_text())):
        _stand_in(work, path)
    cmd = [SNAKEMAKE, "-n", "--snakefile", str(REPO / "Snakefile"), "--directory", str(work),
           "--configfile", str(config), *extra]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=work, env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    return output


@pytest.mark.parametrize("config", CONFIGS, ids=[c.name for c in CONFIGS])
def test_every_shipped_config_plans(config, tmp_path):
    output = _dry_run(config, tmp_path, "--cores", "1", "all")
    assert "rule " in output or "Nothing to be done" in output


def test_akita_preset_plans_raw_pairs_to_gpu_training_with_profile_slurm_as_typed(tmp_path):
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    subprocess.run(["sh", str(REPO / "profiles" / "install.sh")], check=True, env=env, capture_output=True)
    output = _dry_run(REPO / "workflow/configs/hic_akita.yaml", tmp_path, "--profile", "slurm", "all", env=env)
    assert "Using profile slurm" in output
    for name in ("HFF", "H1hESC", "GM12878", "IMR90", "HCT116"):
        assert f"results/hic/akita5/maps/{name}.cool" in output  # bin + balance, one job per map
    assert output.count("rule hic_map:") == 5
    for block in output.split("rule hic_map:")[1:]:  # binning's cores, memory and time come from the profile
        resources = block.split("resources:")[1].splitlines()[0]
        assert "mem_mb=32000" in resources and "cpus_per_task=8" in resources and "runtime=1440" in resources
    assert "rule genome_targets:" in output and "rule train_model:" in output
    assert "slurm_partition=gpu" in output


def test_install_keeps_a_users_own_profile(tmp_path):
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path)}
    own = tmp_path / "snakemake" / "slurm"
    own.mkdir(parents=True)
    (own / "config.yaml").write_text("jobs: 3\n")
    result = subprocess.run(["sh", str(REPO / "profiles" / "install.sh")], env=env, capture_output=True, text=True)
    assert result.returncode == 0 and "kept your own" in result.stderr
    assert (own / "config.yaml").read_text() == "jobs: 3\n" and not own.is_symlink()
    assert (tmp_path / "snakemake" / "local").resolve() == REPO / "profiles" / "local"


@pytest.mark.parametrize("name, downloads", [
    ("promoter_public.yaml", ["results/downloads/promoter/dream2022_demo/demo_train.txt",
                              "results/downloads/promoter/vaishnav2022_defined/Random_defined.csv"]),
    ("scatac_pbsmall_download.yaml", ["results/downloads/scatac/pbsmall/fragments--PBSmall.tsv.gz"]),
])
def test_public_presets_download_their_files(name, downloads, tmp_path):
    output = _dry_run(REPO / "workflow/configs" / name, tmp_path, "--cores", "1", "all")
    for path in downloads:
        assert f"output: {path}" in output and "rule fetch_url:" in output

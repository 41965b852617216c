"""Every rule is thin and runnable on a cluster: a log, and a conda env or a container that resolves."""

import re

import yaml
from conftest import REPO

RULE_FILES = sorted((REPO / "workflow" / "rules").glob("*.smk"))


def _rules():
    for path in RULE_FILES:
        text = path.read_text()
        for match in re.finditer(r"^rule (\w+):\n((?:[ \t]+.*\n|\n)*)", text, flags=re.M):
            yield path, match.group(1), match.group(2)


def test_every_rule_has_a_log_and_an_environment():
    rules = list(_rules())
    assert len(rules) >= 6
    for path, name, body in rules:
        assert "log:" in body, f"{path.name}: rule {name} has no log"
        assert "conda:" in body or "container:" in body, f"{path.name}: rule {name} names no conda env or container"


def test_conda_env_resolves_and_matches_the_pins():
    common = (REPO / "workflow/rules/common.smk").read_text()
    env_path = (REPO / "workflow/rules" / re.search(r'REGFORMER_ENV = "(.+)"', common).group(1)).resolve()
    assert env_path == REPO / "envs" / "regformer.yaml"
    env = yaml.safe_load(env_path.read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pinned = set((REPO / "pyproject.toml").read_text().split())
    for requirement in pip:
        if "==" in requirement:
            assert f'"{requirement}",' in pinned, f"{requirement} in envs/regformer.yaml differs from pyproject.toml"
    assert "python=3.11" in env["dependencies"]


def test_training_containers_exist():
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    assert config["cluster"]["train_container"].endswith(".sif")
    for name in ("Dockerfile", "train.def", "tpu.def", "Dockerfile.tpu"):
        text = (REPO / "containers" / name).read_text()
        assert "pip install" in text and "regformer" in text, name


def test_snakemake_lint_is_clean():
    """`snakemake --lint` has nothing to say (helper functions live in regformer.workflow_helpers, not .smk files)."""
    import subprocess
    import sys
    from pathlib import Path

    snakemake = str(Path(sys.executable).with_name("snakemake"))
    result = subprocess.run([snakemake, "--lint", "--snakefile", str(REPO / "Snakefile"), "--directory", str(REPO)],
                            capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "Lints for" not in output, output[-4000:]
    assert "Congratulations, your workflow is in a good condition!" in output

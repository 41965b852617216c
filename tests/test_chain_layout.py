"""Adding a chain touches its package, its rules file (with its adapter scripts) and its schema section only,
plus its one entry in the registry's PACKAGES: a toy chain, written into a copy of the workflow, is planned
through the shared train / evaluate / report rules with nothing else changed; and the shared code names no chain."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
CHAIN_NAMES = ("promoter", "hic", "tracks", "scatac")

# the toy chain's package: CHAIN, MODELS, DOC_PAGE, load() and its rule helper (workflow_files)
TOY_PACKAGE = '''
from regformer.models.registry import CLOSED_FORM, ModelSpec

CHAIN = "toy"
DOC_PAGE = "docs/toy.md"
MODELS = {"mean": ModelSpec(name="mean", chain=CHAIN, kind=CLOSED_FORM, build=dict, full={}, demo={})}


def load():
    raise NotImplementedError("the dry run builds no chain object")


class ToyFiles:
    predict_suffix = "h5"

    def __init__(self, wf):
        self.wf = wf

    def apply_inputs(self, wildcards):
        return {}

    def store(self, wildcards):
        return {"store": f"results/toy/{wildcards.dataset}/store.h5"}

    def report_inputs(self, wildcards):
        return self.store(wildcards)


def workflow_files(wf):
    return ToyFiles(wf)
'''

# the toy chain's rules file: only what builds its store
TOY_RULES = '''
rule toy_store:
    output:
        "results/toy/{dataset}/store.h5",
    log:
        "results/logs/toy/{dataset}/store.log",
    conda:
        REGFORMER_ENV
    script:
        "../scripts/toy_store.py"
'''

# registering the package is its entry in PACKAGES (here patched in, as the registry's one line would add it)
RUN = '''
import sys
sys.path.insert(0, {toy!r})
import toy_chain
import regformer.chains.registry as registry
registry.PACKAGES["toy"] = toy_chain
registry.CHAINS = tuple(registry.PACKAGES)
from snakemake.cli import main
sys.argv = ["snakemake", "-n", "--cores", "1", "all", "--configfile", "toy.yaml"]
main()
'''


def test_a_toy_chain_needs_only_its_package_rules_file_and_schema_section(tmp_path):
    work = tmp_path / "repo"
    shutil.copytree(REPO / "workflow", work / "workflow", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "envs", work / "envs")
    shutil.copy(REPO / "Snakefile", work / "Snakefile")
    (tmp_path / "toy_chain").mkdir()
    (tmp_path / "toy_chain" / "__init__.py").write_text(TOY_PACKAGE)
    (work / "workflow" / "rules" / "toy.smk").write_text(TOY_RULES)
    (work / "workflow" / "scripts" / "toy_store.py").write_text("# the rules file's adapter (not run: a dry run)\n")
    schema_path = work / "workflow" / "schemas" / "config.schema.yaml"
    schema = yaml.safe_load(schema_path.read_text())
    schema["properties"]["toy"] = {"type": "object", "required": ["datasets", "models"],
                                   "properties": {"datasets": {"type": "object"}, "models": {"type": "object"}}}
    schema_path.write_text(yaml.safe_dump(schema, sort_keys=False))
    (work / "toy.yaml").write_text(yaml.safe_dump({"toy": {"datasets": {"d": {}}, "models": {"mean": {}}}}))

    run = subprocess.run([sys.executable, "-c", RUN.format(toy=str(tmp_path))], cwd=work, capture_output=True,
                         text=True, timeout=300)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-3000:]
    for rule in ("toy_store", "train_model", "evaluate_model", "write_report"):
        assert f"rule {rule}:" in output
    assert "results/toy/d/mean/metrics.json" in output and "results/toy/d/report.html" in output


def _shared_sources() -> list[Path]:
    src = REPO / "src" / "regformer"
    files = [src / "config_check.py", src / "stages.py", src / "chain_interface.py"]
    for folder in ("train", "evaluate", "report", "workflow_helpers"):
        files += sorted((src / folder).glob("*.py"))
    rules = REPO / "workflow" / "rules"
    return files + [REPO / "Snakefile"] + [rules / f"{name}.smk" for name in ("common", "models", "apply",
                                                                             "genome_windows")]


def test_shared_code_names_no_chain():
    """No chain name as a string in the shared stages, helpers and rules (comments may give examples)."""
    quoted = re.compile(r"""["'](%s)["'/]""" % "|".join(CHAIN_NAMES))
    found = [f"{path.relative_to(REPO)}:{n}: {line.strip()}" for path in _shared_sources()
             for n, line in enumerate(path.read_text().splitlines(), 1) if quoted.search(line.split("#")[0])]
    assert not found, "\n".join(found)


def test_a_chains_rules_file_registers_nothing_by_hand():
    """The Snakefile registers every chain's store and report inputs from its helper (FILES)."""
    for chain in CHAIN_NAMES:
        text = (REPO / "workflow" / "rules" / f"{chain}.smk").read_text()
        assert "wf.chain_store" not in text and "wf.chain_report_inputs" not in text
        assert f'{chain}_files = FILES["{chain}"]' in text

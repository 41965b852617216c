"""The workflow on a real SLURM cluster (pytest -m slurm; .ci/slurm/start.sh brings one up on localhost).

Skipped where sbatch is missing or no cluster answers, so the suite still passes on a plain workstation.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO

pytestmark = pytest.mark.slurm
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
MODELS = ("promoter_transformer", "kmer_ridge")


def _cluster_up() -> bool:
    if shutil.which("sbatch") is None:
        return False
    return subprocess.run(["sinfo", "-h"], capture_output=True).returncode == 0


if not _cluster_up():
    if os.environ.get("REGFORMER_REQUIRE_SLURM") == "1":  # set by .ci/run once it has started the cluster
        pytest.fail("REGFORMER_REQUIRE_SLURM=1 but no SLURM cluster answers (sbatch/sinfo); see .ci/slurm/start.sh",
                    pytrace=False)
    pytest.skip("no SLURM cluster (sbatch/sinfo); start one with .ci/slurm/start.sh", allow_module_level=True)


def _write_config(workdir: Path) -> None:
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config["promoter"]["datasets"]["demo"]["synthetic"]["n_sequences"] = 600
    config["promoter"]["models"]["promoter_transformer"].update(max_epochs=2)
    for chain in ("hic", "tracks", "scatac"):  # cluster mechanics are the same for every chain; test_workflow runs them
        config.pop(chain, None)
    config["promoter"].pop("apply", None)  # the apply jobs are local rules like the others; test_workflow runs them
    # trainer and the partitions/GPU request stay as shipped (accelerator: auto asks for the gpu partition); only
    # the sizes shrink to the one-node test cluster. Lightning finds no real GPU there and trains on the CPU.
    config["cluster"].update(train_mem_mb=1000, train_runtime=30, cpus_per_gpu=1)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))


def _snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir), *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-6000:]}")
    return result


# The test cluster has no accounting and no accounts; the shipped profile and trainer settings send training to
# the gpu partition with a GPU request by themselves (the CI node's A100 is fake: Lightning trains on the CPU).
SLURM_ARGS = ("--profile", str(REPO / "profiles" / "slurm"), "--slurm-no-account", "--jobs", "4",
              "--slurm-init-seconds-before-status-checks", "2", "--seconds-between-status-checks", "2")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("slurm")
    _write_config(root / "local")
    _write_config(root / "cluster")
    _snakemake(root / "local", "--cores", "2", "all")
    _snakemake(root / "cluster", "all", *SLURM_ARGS)  # targets first: --set-resources takes several values
    return root / "local", root / "cluster"


def test_every_job_ran_under_slurm(runs):
    _, cluster = runs
    logs = sorted((cluster / "results" / "logs").rglob("*.log"))
    assert len(logs) == 7  # simulate, prepare, 2 x train, 2 x evaluate, report
    for log in logs:
        assert re.search(r"slurm_job_id=\d+", log.read_text()), f"{log} did not run under SLURM"


def test_training_went_to_the_gpu_partition_with_a_gpu(runs):
    _, cluster = runs
    for model in MODELS:
        text = (cluster / f"results/logs/promoter/demo/{model}/train.log").read_text()
        assert "slurm_partition=gpu" in text
        assert re.search(r"CUDA_VISIBLE_DEVICES=\d", text), "no GPU was allocated to the training job"
    prepare = (cluster / "results/logs/promoter/demo/prepare.log").read_text()
    assert "slurm_partition=cpu" in prepare


def test_cluster_outputs_match_a_local_run(runs):
    local, cluster = runs
    for model in MODELS:
        a = json.loads((local / f"results/promoter/demo/{model}/metrics.json").read_text())
        b = json.loads((cluster / f"results/promoter/demo/{model}/metrics.json").read_text())
        assert a["n_test"] == b["n_test"]
        for key in ("pearson", "spearman", "r2", "mse"):
            assert a[key] == pytest.approx(b[key], rel=1e-4, abs=1e-5), (model, key)
    summary = "results/promoter/demo/prepared/summary.json"
    assert (local / summary).read_text() == (cluster / summary).read_text()


def test_rerunning_one_target_on_the_cluster_reruns_only_it(runs):
    _, cluster = runs
    target = "results/promoter/demo/kmer_ridge/metrics.json"
    before = {p: p.stat().st_mtime for p in (cluster / "results/promoter/demo").rglob("*.json")}
    result = _snakemake(cluster, target, "--forcerun", "evaluate_model", *SLURM_ARGS)
    output = result.stdout + result.stderr
    assert "1 of 1 steps (100%) done" in output
    changed = [p for p, t in before.items() if p.stat().st_mtime != t]
    assert changed == [cluster / target]


def test_snakemake_report_after_a_cluster_run(runs):
    _, cluster = runs
    _snakemake(cluster, "--report", str(cluster / "report.html"))
    text = (cluster / "report.html").read_text()
    assert "Models of the" in text and "promoter" in text  # the chain report, captioned


def test_two_gpu_training_runs_as_two_srun_tasks_with_ddp(tmp_path):
    """`cluster.gpus: 2`: the training job gets two tasks and starts `regformer train` through srun; the node's fake
    GPUs are invisible to torch, so the two tasks train together with DDP on the CPU (gloo). Rank 0 alone writes
    model.pt; the closed-form model is fitted by rank 0 alone."""
    import torch

    workdir = tmp_path / "ddp"
    _write_config(workdir)
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    config["cluster"].update(gpus=2, cpus_per_gpu=1)  # two tasks fit the 2-core CI node
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    targets = [f"results/promoter/demo/{model}/metrics.json" for model in MODELS]
    _snakemake(workdir, *targets, *SLURM_ARGS)
    logs = workdir / "results/logs/promoter/demo/promoter_transformer"
    text = (logs / "train.log").read_text()
    assert "slurm_partition=gpu" in text and "train with DDP on the CPU" in text
    assert "effective batch size" in text and (logs / "train.log.rank1").is_file()  # the second srun task's log
    run = workdir / "results/promoter/demo/promoter_transformer"
    assert sorted(p.name for p in run.glob("model.pt*")) == ["model.pt"]
    summary = torch.load(run / "model.pt", weights_only=True)["summary"]
    assert (summary["device"], summary["devices"], summary["num_nodes"]) == ("cpu", 2, 1)
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["training"]["devices"] == 2 and metrics["training"]["lr_scaled"] is False
    ridge = workdir / "results/logs/promoter/demo/kmer_ridge"
    assert "fitted in closed form by rank 0 alone" in (ridge / "train.log.rank1").read_text()

"""Pre-emption safety: kill -9 a training job mid-run, rerun the same target, training continues."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml
from conftest import REPO

SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
TARGET = "results/promoter/demo/promoter_transformer/metrics.json"


def _cmd(workdir, *args):
    return [SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir), "--cores", "2", *args]


@pytest.mark.slow
def test_kill_9_then_rerun_resumes_from_the_last_checkpoint(tmp_path):
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config["promoter"]["datasets"]["demo"]["synthetic"]["n_sequences"] = 1000
    config["promoter"]["models"]["promoter_transformer"].update(max_epochs=4, patience=50)
    config["trainer"]["accelerator"] = "cpu"
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    run_dir = tmp_path / "results/promoter/demo/promoter_transformer"
    last = run_dir / "checkpoints" / "last.ckpt"

    job = subprocess.Popen(_cmd(tmp_path, TARGET), start_new_session=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    deadline = time.time() + 600
    while not last.exists() and time.time() < deadline and job.poll() is None:
        time.sleep(0.5)
    assert last.exists(), "training never wrote a checkpoint"
    time.sleep(1.0)  # let the first save finish (Lightning writes it atomically)
    os.killpg(job.pid, signal.SIGKILL)  # the whole job: snakemake and the training script
    job.wait()
    epoch_at_kill = torch.load(last, weights_only=False, map_location="cpu")["epoch"]
    assert epoch_at_kill < 3, "training finished before it could be killed"
    assert not (run_dir / "model.pt").exists() and not (tmp_path / TARGET).exists()

    subprocess.run(_cmd(tmp_path, "--unlock"), check=True, capture_output=True)
    rerun = subprocess.run(_cmd(tmp_path, TARGET, "--rerun-incomplete"), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr[-4000:]

    log = (tmp_path / "results/logs/promoter/demo/promoter_transformer/train.log").read_text()
    assert "resuming from" in log and "last.ckpt" in log
    saved = torch.load(run_dir / "model.pt", weights_only=False)
    assert saved["summary"]["epochs_trained"] == 4
    curves = pd.read_csv(run_dir / "train" / "metrics.csv").dropna(subset=["val_loss"])
    epochs = curves["epoch"].astype(int).tolist()
    assert epochs == sorted(set(epochs)) == list(range(4))  # continued, no epoch trained twice in the record
    assert (tmp_path / TARGET).exists()


@pytest.mark.slow
def test_kill_9_of_snakemake_alone_stops_the_trainer_then_rerun_resumes(tmp_path):
    """A dropped SSH session kills only snakemake: the trainer checkpoints its epoch and stops (no orphan, no second
    trainer on the same checkpoints); `--unlock` and the same command resume; train.log keeps both runs."""
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    for chain in ("hic", "tracks", "scatac"):
        config.pop(chain, None)
    config["promoter"]["datasets"]["demo"]["synthetic"]["n_sequences"] = 1000
    config["promoter"]["models"]["promoter_transformer"].update(max_epochs=30, patience=50)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    run_dir = tmp_path / "results/promoter/demo/promoter_transformer"
    last, lock = run_dir / "checkpoints" / "last.ckpt", run_dir / "train.lock"

    job = subprocess.Popen(_cmd(tmp_path, TARGET), start_new_session=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    deadline = time.time() + 600
    while not last.exists() and time.time() < deadline and job.poll() is None:
        time.sleep(0.5)
    assert last.exists() and lock.exists(), "training never wrote a checkpoint"
    trainer_pid = json.loads(lock.read_text())["pid"]
    os.kill(job.pid, signal.SIGKILL)  # snakemake only: its shell and the trainer live on
    job.wait()
    while lock.exists() and time.time() < deadline:  # the trainer releases its lock on the way out
        time.sleep(0.5)
    assert not lock.exists(), "the trainer kept running after snakemake died"
    while Path(f"/proc/{trainer_pid}").exists() and time.time() < deadline:  # torch takes a moment to exit
        time.sleep(0.5)
    assert not Path(f"/proc/{trainer_pid}").exists(), "the trainer did not exit"
    epoch_at_stop = torch.load(last, weights_only=False, map_location="cpu")["epoch"]
    assert epoch_at_stop < 29 and not (run_dir / "model.pt").exists()
    log_path = run_dir / "train" / "train.log"  # every run's log (Snakemake deletes results/logs/... on a rerun)
    assert f"is gone: stopped after {epoch_at_stop + 1} epoch(s)" in log_path.read_text()

    config["promoter"]["models"]["promoter_transformer"].update(max_epochs=epoch_at_stop + 2)  # finish soon
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    subprocess.run(_cmd(tmp_path, "--unlock"), check=True, capture_output=True)
    rerun = subprocess.run(_cmd(tmp_path, TARGET, "--rerun-incomplete"), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr[-4000:]
    log = log_path.read_text()
    assert "is gone: stopped after" in log and "resuming from" in log  # both runs in one log
    saved = torch.load(run_dir / "model.pt", weights_only=False)
    assert saved["summary"]["epochs_trained"] == epoch_at_stop + 2
    curves = pd.read_csv(run_dir / "train" / "metrics.csv").dropna(subset=["val_loss"])
    assert curves["epoch"].astype(int).tolist() == list(range(epoch_at_stop + 2))

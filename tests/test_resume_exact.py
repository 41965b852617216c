"""Exact resume: a training killed with kill -9 and rerun ends with the uninterrupted run's model and metrics.json,
bit for bit on CPU (the random generators, sampler order, LR schedulers and SWA / EMA averages are restored from
last.ckpt). Only the wall-clock training_seconds differ."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from regformer.stages import evaluate

REGFORMER = str(Path(sys.executable).with_name("regformer"))
TINY = dict(stem_filters=8, conv_channels=16, n_residual=1, d_model=16, n_heads=2, n_transformer=1, ff_dim=32,
            lstm_hidden=8, dense_hidden=16, batch_size=128, patience=50, max_epochs=6)
# both on top of the demo's dropout and reverse-complement augmentation (shuffling, augmentation and dropout draw)
RECIPES = {
    "onecycle_swa": {"lr_schedule": "onecycle", "swa": True, "swa_epoch_start": 0.5, "swa_annealing_epochs": 2},
    "plateau_ema": {"lr_schedule": "plateau", "ema_decay": 0.9},
}
CPU = {"accelerator": "cpu", "progress_bar": False}
KILL_AFTER_EPOCH = {"onecycle_swa": 3}  # once SWA averages (from epoch 3): its average and SWALR state are resumed


def _command(store: Path, out: Path, config: dict) -> list[str]:
    return [REGFORMER, "train", "promoter", "--store", str(store), "--model", "promoter_transformer", "--output",
            str(out), "--model-config", json.dumps(config), "--trainer", json.dumps(CPU), "--threads", "1",
            "--seed", "11", "--log", str(out.parent / "train.log")]


def _readable_epoch(path: Path) -> int | None:
    """The epoch of a checkpoint once it is completely written (None while it is missing or half-written)."""
    try:
        return int(torch.load(path, map_location="cpu", weights_only=True)["epoch"])
    except Exception:  # noqa: BLE001 - missing or being written: wait for it
        return None


def _kill_after_checkpoint(store: Path, out: Path, config: dict, epoch_at_least: int = 0) -> int:
    job = subprocess.Popen(_command(store, out, config), start_new_session=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    last = out.parent / "checkpoints" / "last.ckpt"
    deadline, epoch = time.time() + 240, None
    while (epoch is None or epoch < epoch_at_least) and time.time() < deadline and job.poll() is None:
        time.sleep(0.05)
        epoch = _readable_epoch(last)
    os.killpg(job.pid, signal.SIGKILL)
    job.wait()
    assert epoch is not None, "training never wrote a checkpoint"
    assert not out.exists(), "training finished before it could be killed"
    return epoch


def _metrics(store: Path, out: Path) -> dict:
    metrics = evaluate("promoter", store, out, out.parent / "metrics.json", out.parent / "predictions.h5")
    saved = json.loads((out.parent / "metrics.json").read_text())
    assert saved["pearson"] == metrics["pearson"]
    saved.pop("training_seconds")
    saved["training"].pop("training_seconds")
    return saved


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_kill_9_and_rerun_ends_with_the_uninterrupted_metrics(synthetic_store, tmp_path, recipe):
    config = {**TINY, **RECIPES[recipe]}
    straight = tmp_path / "straight" / "model.pt"
    subprocess.run(_command(synthetic_store, straight, config), check=True, capture_output=True)

    resumed = tmp_path / "resumed" / "model.pt"
    epoch_at_kill = _kill_after_checkpoint(synthetic_store, resumed, config, KILL_AFTER_EPOCH.get(recipe, 0))
    assert epoch_at_kill < config["max_epochs"] - 1
    rerun = subprocess.run(_command(synthetic_store, resumed, config), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "resuming from" in (resumed.parent / "train.log").read_text()

    a, b = (torch.load(p, weights_only=True)["model"] for p in (straight, resumed))
    assert all(torch.equal(a[k], b[k]) for k in a), "the resumed run's weights differ"
    assert _metrics(synthetic_store, straight) == _metrics(synthetic_store, resumed)

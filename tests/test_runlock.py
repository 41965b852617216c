"""One trainer per run folder; a trainer stops when its Snakemake dies; logs survive a resume; errors end the output."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

from regformer.chains.promoter.chain import PromoterChain
from regformer.train.runlock import LOCK_NAME, RunLocked, _start_time, run_lock
from regformer.train.runner import train_model

TINY = dict(stem_filters=8, conv_channels=16, n_residual=1, d_model=16, n_heads=2, n_transformer=1, ff_dim=32,
            lstm_hidden=8, dense_hidden=16, batch_size=128, patience=50)
CPU = {"accelerator": "cpu", "progress_bar": False}
REGFORMER = str(Path(sys.executable).with_name("regformer"))


def _write_lock(run_dir: Path, pid: int, host: str | None = None) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / LOCK_NAME
    path.write_text(json.dumps({"pid": pid, "host": host or socket.gethostname(), "start": _start_time(pid),
                                "since": "2026-01-01 00:00:00"}))
    return path


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_live_lock_is_refused_naming_pid_host_and_what_to_do(synthetic_store, tmp_path):
    other = subprocess.Popen(["sleep", "60"])
    try:
        lock = _write_lock(tmp_path / "m", other.pid)
        with pytest.raises(RunLocked) as err:
            train_model(PromoterChain(), "promoter_transformer", {**TINY, "max_epochs": 1}, synthetic_store,
                        tmp_path / "m" / "model.pt", trainer_cfg=CPU)
        message = str(err.value)
        assert f"pid {other.pid}" in message and socket.gethostname() in message and f"kill {other.pid}" in message
        assert not (tmp_path / "m" / "model.pt").exists()
        assert json.loads(lock.read_text())["pid"] == other.pid  # the live holder's lock is left alone
    finally:
        other.kill()
        other.wait()


def test_stale_lock_of_a_dead_process_is_taken_over_and_released(tmp_path):
    lock = _write_lock(tmp_path, _dead_pid())
    with run_lock(tmp_path) as held:
        assert held == lock and json.loads(lock.read_text())["pid"] == os.getpid()
    assert not lock.exists()


def test_lock_of_another_host_is_refused(tmp_path):
    _write_lock(tmp_path, 12345, host="gpu-node-7")
    with pytest.raises(RunLocked, match="gpu-node-7.*pid 12345"):
        with run_lock(tmp_path):
            pass


def test_second_lock_in_the_same_folder_is_refused(tmp_path):
    with run_lock(tmp_path):
        with pytest.raises(RunLocked, match=f"pid {os.getpid()}"):
            with run_lock(tmp_path):
                pass


TRAIN_SCRIPT = """
import json, sys
from regformer.chains.promoter.chain import PromoterChain
from regformer.train.runlock import ParentGone
from regformer.train.runner import train_model
store, out, result = sys.argv[1:4]
tiny = json.loads(sys.argv[4])
try:
    train_model(PromoterChain(), "promoter_transformer", {**tiny, "max_epochs": 200}, store, out,
                trainer_cfg={"accelerator": "cpu", "progress_bar": False})
    outcome = "finished"
except ParentGone as err:
    outcome = "parent gone: " + str(err)
open(result, "w").write(outcome)
"""


def test_trainer_stops_after_checkpointing_when_its_parent_dies(synthetic_store, tmp_path):
    """The trainer's parent (a shell, as under Snakemake) is killed: it checkpoints its epoch and stops."""
    out, result = tmp_path / "m" / "model.pt", tmp_path / "result.txt"
    script = tmp_path / "train.py"
    script.write_text(TRAIN_SCRIPT)
    args = " ".join(f"'{a}'" for a in (sys.executable, script, synthetic_store, out, result, json.dumps(TINY)))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(sys.path)}
    parent = subprocess.Popen(["sh", "-c", f"{args} & wait"], env=env, start_new_session=True)
    last = out.parent / "checkpoints" / "last.ckpt"
    deadline = time.time() + 300
    while not last.exists() and time.time() < deadline:
        time.sleep(0.2)
    assert last.exists(), "training never wrote a checkpoint"
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    while not result.exists() and time.time() < deadline:
        time.sleep(0.2)
    outcome = result.read_text()
    assert outcome.startswith("parent gone") and "Rerun" in outcome, outcome
    epoch = torch.load(last, weights_only=False, map_location="cpu")["epoch"]
    assert epoch < 199 and not out.exists()
    assert not (out.parent / LOCK_NAME).exists()  # released on the way out


def _train_cli(tmp_path, store, trainer: dict, max_epochs: int, env=None):
    out, log = tmp_path / "m" / "model.pt", tmp_path / "logs" / "train.log"
    cmd = [REGFORMER, "train", "promoter", "--store", str(store), "--model", "promoter_transformer",
           "--output", str(out), "--model-config", json.dumps({**TINY, "max_epochs": max_epochs}),
           "--trainer", json.dumps(trainer), "--threads", "1", "--log", str(log)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), **(env or {})}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600), out, log


def test_train_log_and_curves_are_appended_across_resumes(synthetic_store, tmp_path):
    first, out, log = _train_cli(tmp_path, synthetic_store, CPU, 1)
    assert first.returncode == 0, first.stderr[-3000:]
    first_log = log.read_text()
    # the console shows one progress line per epoch with its validation metrics; the log has it too
    assert "[train] epoch 1/1: train_loss" in first.stderr and "val_loss" in first.stderr and "val_pearson" in first.stderr
    assert "epoch 1/1: train_loss" in first_log
    second, _, _ = _train_cli(tmp_path, synthetic_store, CPU, 2)
    assert second.returncode == 0, second.stderr[-3000:]
    text = log.read_text()
    assert text.startswith(first_log) and "resuming from" in text[len(first_log):]
    log.unlink()  # as Snakemake does before it reruns a job: the run folder's own log keeps both runs
    third, _, _ = _train_cli(tmp_path, synthetic_store, CPU, 3)
    assert third.returncode == 0, third.stderr[-3000:]
    history = (out.parent / "train" / "train.log").read_text()
    assert history.count("resuming from") == 2 and history.count("regformer.job: host=") == 3
    lines = (out.parent / "train" / "metrics.csv").read_text().splitlines()
    assert sum(line == lines[0] for line in lines) == 1  # one header
    curves = pd.read_csv(out.parent / "train" / "metrics.csv").dropna(subset=["val_loss"])
    assert curves["epoch"].astype(int).tolist() == [0, 1, 2]


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without a GPU")
def test_gpu_without_gpu_fails_first_with_the_message_last_and_alone(synthetic_store, tmp_path):
    result, out, log = _train_cli(tmp_path, synthetic_store, {"accelerator": "gpu"}, 1)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr
    assert lines[-2].startswith("regformer error: trainer.accelerator: is gpu") and "set trainer.accelerator" in lines[-2]
    assert str(log) in lines[-1]
    assert "Traceback" in log.read_text() and not (out.parent / "checkpoints").exists()  # nothing read or built
    verbose, _, _ = _train_cli(tmp_path, synthetic_store, {"accelerator": "gpu"}, 1, env={"REGFORMER_VERBOSE": "1"})
    assert "Traceback" in verbose.stderr and verbose.stderr.rstrip().splitlines()[-2].startswith("regformer error")


def test_prepare_shows_records_read_on_the_console(tmp_path, capfd):
    from conftest import DREAM

    from regformer.chains.promoter.prepare import prepare_promoter_dataset
    from regformer.logs import log_to

    with log_to(tmp_path / "logs" / "promoter" / "d" / "prepare.log"):
        prepare_promoter_dataset(DREAM, tmp_path / "s.h5", tmp_path / "s.json", chunk_size=4000)
    console = capfd.readouterr().err.splitlines()
    assert console == [f"[promoter/d/prepare] {DREAM.name}: 4,000 records read",
                       f"[promoter/d/prepare] {DREAM.name}: 6,370 records read"]

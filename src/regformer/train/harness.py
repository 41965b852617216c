"""Build a Lightning Trainer from config and fit a model, resuming from the last checkpoint if one exists.

Checkpoints live in `{run_dir}/checkpoints/`, which no rule declares as an output, so Snakemake does
not delete them when a job fails: rerunning the same target after a crash, kill or preemption
resumes from `last.ckpt` instead of starting over, and ends where the uninterrupted run would have (the
checkpoint also holds the random generators: regformer.train.repeat).

Under DDP (several GPUs, nodes, or CPU processes) every rank runs `fit`, but only global rank 0 touches the run
folder: it moves stale checkpoints aside, picks the checkpoint to resume from (the other ranks read its choice,
regformer.train.ranks), merges the curves and loads the best weights; the caller saves the model on rank 0 only.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import time
import warnings
from pathlib import Path

import lightning as L
import pandas as pd
import torch
from lightning.pytorch.callbacks import (EarlyStopping, EMAWeightAveraging, ModelCheckpoint, StochasticWeightAveraging,
                                         TQDMProgressBar)
from lightning.pytorch.loggers import CSVLogger
from lightning.pytorch.plugins.environments import SLURMEnvironment

from regformer.errors import InputError
from regformer.train.devices import plan_devices
from regformer.train.module import SupervisedTask
from regformer.train.progress import EpochProgress
from regformer.train.recipes import TRAINER_DEFAULTS
from regformer.train.ranks import await_resume, is_global_zero, publish_resume
from regformer.train.repeat import RandomStates, unrepeated_validation
from regformer.train.runlock import ParentGone, ParentWatch

log = logging.getLogger(__name__)



def resolve_precision(precision: str, accelerator: str) -> str:
    """'auto' means bf16 mixed precision on GPUs and TPUs, full precision on CPUs (repeatable there)."""
    if precision != "auto":
        return precision
    return {"gpu": "bf16-mixed", "tpu": "bf16-true"}.get(accelerator, "32-true")


def build_trainer(run_dir: Path, trainer_cfg: dict, training: dict, monitor: str = "val_loss") -> L.Trainer:
    """A Trainer with early stopping, best+last checkpoints, optional SWA, CSV curves and a progress bar."""
    cfg = {**TRAINER_DEFAULTS, **(trainer_cfg or {})}
    # auto -> gpu or cpu as this machine allows (a job's config comes already planned: regformer.training_job)
    cfg.update(plan_devices(cfg["accelerator"], devices=cfg["devices"], num_nodes=cfg["num_nodes"],
                            strategy=cfg["strategy"], cuda_visible=torch.cuda.is_available()).trainer_settings())
    accelerator = cfg["accelerator"]
    callbacks = [
        EarlyStopping(monitor=monitor, patience=training["patience"], mode="min"),
        ModelCheckpoint(dirpath=run_dir / "checkpoints", filename="best", monitor=monitor, mode="min", save_top_k=1),
        # every epoch, improved or not: a crash or pre-emption loses at most the epoch in progress
        ModelCheckpoint(dirpath=run_dir / "checkpoints", filename="last", monitor=None, save_top_k=1,
                        every_n_epochs=1, enable_version_counter=False),
    ]
    if training.get("swa") and training.get("ema_decay"):
        raise InputError("config.yaml", "a model sets both swa and ema_decay", "choose one way of averaging weights")
    if training.get("ema_decay"):
        # validation, the best checkpoint and the saved model all use the moving average of the weights
        callbacks.append(EMAWeightAveraging(decay=training["ema_decay"]))
    if training.get("swa"):
        callbacks.append(StochasticWeightAveraging(swa_lrs=training["swa_lr"] or training["lr"],
                                                   swa_epoch_start=training["swa_epoch_start"],
                                                   annealing_epochs=training["swa_annealing_epochs"]))
    callbacks += [ParentWatch(), EpochProgress(), RandomStates()]
    if cfg["progress_bar"]:
        callbacks.append(TQDMProgressBar(refresh_rate=max(1, cfg["log_every_n_steps"])))
    plugins = []
    if "SLURM_JOB_ID" in os.environ:
        ntasks, nnodes = int(os.environ.get("SLURM_NTASKS", "1")), int(os.environ.get("SLURM_NNODES", "1"))
        if ntasks > 1 and "SLURM_NTASKS_PER_NODE" not in os.environ:
            # the job asks for one task per GPU (--ntasks, --ntasks-per-gpu), which spreads them evenly over its
            # nodes; Lightning insists on reading that count from --ntasks-per-node's variable
            os.environ["SLURM_NTASKS_PER_NODE"] = str(max(1, ntasks // nnodes))
        # SIGUSR1 (sbatch --signal=USR1@N) -> save an hpc checkpoint and `scontrol requeue` this job
        plugins.append(SLURMEnvironment(auto_requeue=True, requeue_signal=signal.SIGUSR1))
    from regformer.train.finetune import finetune_callbacks  # init weights, freeze/unfreeze (docs/pretrained.md)

    callbacks += finetune_callbacks(training)
    return L.Trainer(
        plugins=plugins, accumulate_grad_batches=int(training.get("accumulate_grad_batches") or 1),
        accelerator=accelerator, devices=cfg["devices"], num_nodes=cfg["num_nodes"], strategy=cfg["strategy"],
        precision=resolve_precision(cfg["precision"], accelerator), max_epochs=training["max_epochs"],
        gradient_clip_val=training.get("gradient_clip_val"), callbacks=callbacks,
        # flushed every step, so curves survive a kill -9 and are merged back on resume
        logger=CSVLogger(save_dir=run_dir, name="train", version="", flush_logs_every_n_steps=1),
        enable_progress_bar=bool(cfg["progress_bar"]), log_every_n_steps=cfg["log_every_n_steps"], deterministic=accelerator == "cpu",
        default_root_dir=run_dir / "checkpoints",
    )


def _reset_if_config_changed(run_dir: Path, signature: dict) -> None:
    """Checkpoints of a different architecture or recipe cannot be resumed: move them aside."""
    stamp = run_dir / "checkpoints" / "config.json"
    if stamp.exists() and json.loads(stamp.read_text()) != signature:
        stale = run_dir / "checkpoints.stale"
        shutil.rmtree(stale, ignore_errors=True)
        (run_dir / "checkpoints").rename(stale)
        shutil.rmtree(run_dir / "train", ignore_errors=True)
        log.warning("config changed since the last run: old checkpoints moved to %s, training starts over", stale)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps(signature, indent=2, sort_keys=True, default=str))


def resume_checkpoint(run_dir: Path) -> Path | None:
    """The newest of last.ckpt and Lightning's SLURM pre-emption checkpoints (hpc_ckpt_*.ckpt), if any."""
    folder = run_dir / "checkpoints"
    candidates = [p for p in [folder / "last.ckpt", *folder.glob("hpc_ckpt_*.ckpt")] if p.exists()]
    return max(candidates, key=lambda p: p.stat().st_mtime) if candidates else None


def _merge_curves(earlier: Path, current: Path, out: Path) -> None:
    """Rows of `earlier` for epochs before the first epoch of `current`, then `current`, written to `out`."""
    frames = [pd.read_csv(p) for p in (earlier, current) if p.exists() and p.stat().st_size > 0]
    if not frames:
        return
    if len(frames) == 2:
        frames[0] = frames[0][frames[0]["epoch"] < frames[1]["epoch"].min()]
    out.parent.mkdir(parents=True, exist_ok=True)
    pd.concat(frames, ignore_index=True).to_csv(out, index=False)


def _resume_point(run_dir: Path, signature: dict) -> Path | None:
    """The checkpoint this launch resumes from: rank 0 moves stale checkpoints aside, picks it and keeps the curves
    of the earlier runs aside; the other ranks take rank 0's choice (they never touch the run folder)."""
    if not is_global_zero():
        return await_resume(run_dir)
    _reset_if_config_changed(run_dir, signature)
    last = resume_checkpoint(run_dir)
    curves = run_dir / "train" / "metrics.csv"
    if last is not None:
        log.info("resuming from %s", last)
        _merge_curves(curves.with_name("metrics.before_resume.csv"), curves, curves.with_name("metrics.before_resume.csv"))
    publish_resume(run_dir, last)
    return last


def describe_devices(trainer: L.Trainer, training: dict) -> dict:
    """Where and how wide the run trained (recorded in metrics.json's training block): the device, the number of
    devices and nodes, the effective batch size (per device x devices x nodes x accumulated batches) and whether
    the learning rate was scaled with it (never: the recipe's lr is used as given)."""
    root = trainer.strategy.root_device
    name = root.type
    if root.type == "cuda":
        name = f"cuda:{torch.cuda.get_device_name(root)}"
    devices, nodes = int(trainer.num_devices), int(trainer.num_nodes)
    accumulate = int(getattr(trainer, "accumulate_grad_batches", 1) or 1)
    return {"device": name, "devices": devices, "num_nodes": nodes,
            "effective_batch_size": int(training["batch_size"]) * devices * nodes * accumulate, "lr_scaled": False}


# Lightning warns when the checkpoint or curve folder already holds files. Here they always do by design (the
# run's config stamp in checkpoints/, train.log beside the curves; on a resume, the checkpoint resumed from and
# the curves already merged aside), so the warnings say nothing a user must act on.
_EXPECTED_WARNINGS = (r"Checkpoint directory .* exists and is not empty", r"Experiment logs directory .* exists and is not empty")


def fit(model: torch.nn.Module, datamodule: L.LightningDataModule, *, run_dir: str | Path, training: dict,
        trainer_cfg: dict, seed: int, loss_fn=None, metrics: dict | None = None,
        signature: dict | None = None) -> tuple[torch.nn.Module, dict]:
    """Train `model` and return it with the weights to keep (best checkpoint, or the SWA average) and a summary.

    `loss_fn(output, batch)` defaults to MSE; `metrics` are the chain's validation metrics (name -> metric).
    Every DDP rank returns; only rank 0's model and summary are to be saved (regformer.train.ranks).
    """
    run_dir = Path(run_dir)
    L.seed_everything(seed, workers=True)
    last = _resume_point(run_dir, signature or {"training": training})
    extra = {"loss_fn": loss_fn} if loss_fn is not None else {}
    task = SupervisedTask(model, metrics=metrics, lr=training["lr"], weight_decay=training["weight_decay"],
                          optimizer=training["optimizer"], momentum=training.get("momentum", 0.9),
                          lr_schedule=training.get("lr_schedule", "none"), max_epochs=training["max_epochs"],
                          warmup_steps=training.get("warmup_steps", 0), **extra)
    trainer = build_trainer(run_dir, trainer_cfg, training)
    if (trainer_cfg or {}).get("compile"):
        # in place (nn.Module.compile): parameter names, checkpoints and the saved model stay those of eager
        model.compile()
    curves = run_dir / "train" / "metrics.csv"
    earlier = curves.with_name("metrics.before_resume.csv")
    started = time.perf_counter()
    with warnings.catch_warnings():
        for message in _EXPECTED_WARNINGS:
            warnings.filterwarnings("ignore", message=message)
        trainer.fit(task, datamodule=unrepeated_validation(datamodule), ckpt_path=str(last) if last is not None else None)
    seconds = time.perf_counter() - started  # this run's (a resumed run counts from where it resumed)
    trainer.strategy.barrier("regformer_fit_done")  # every rank done before rank 0 reads the checkpoints
    devices = describe_devices(trainer, training)
    if trainer.is_global_zero:
        log.info("trained on %s x %d device(s) x %d node(s): effective batch size %d, learning rate %g as in the "
                 "recipe (not scaled with the number of devices)", devices["device"], devices["devices"],
                 devices["num_nodes"], devices["effective_batch_size"], training["lr"])
        if earlier.exists():
            _merge_curves(earlier, curves, curves)
            earlier.unlink()
    model.__dict__.pop("_compiled_call_impl", None)  # evaluation runs eager (no recompiling for eval mode/CPU)
    watch = next(c for c in trainer.callbacks if isinstance(c, ParentWatch))
    if watch.gone is not None:
        raise ParentGone(f"the process that started this trainer (pid {watch.gone[0]}, Snakemake) is gone: stopped "
                         f"after {trainer.current_epoch} epoch(s), its checkpoint is in {run_dir / 'checkpoints'}. "
                         "Rerun the same snakemake command (after `snakemake --unlock`) to resume from it")
    checkpoint = trainer.checkpoint_callback
    best_path = checkpoint.best_model_path
    if not training.get("swa") and best_path and trainer.is_global_zero:
        state = torch.load(best_path, map_location="cpu", weights_only=True)["state_dict"]
        task.load_state_dict(state)
    weights = "swa_average" if training.get("swa") else "ema_best_val_loss" if training.get("ema_decay") else "best_val_loss"
    summary = {
        # SWA adds one epoch past max_epochs to refresh BatchNorm statistics: not a training epoch
        "epochs_trained": min(int(trainer.current_epoch), int(training["max_epochs"])),
        "best_val_loss": float(checkpoint.best_model_score) if checkpoint.best_model_score is not None else None,
        "weights": weights,
        "training_seconds": round(seconds, 1),
        "optimizer_steps": int(trainer.global_step),  # what a from-scratch and a fine-tuned run compare at
        **devices,
    }
    from regformer.train.finetune import FineTune

    tune = next((c for c in trainer.callbacks if isinstance(c, FineTune)), None)
    if tune is not None and (tune.init_report or tune.freeze_trunk):
        summary["started_from"] = tune.init_report  # weights, format, head, tensors loaded / dropped
        summary["frozen"] = ("trunk" if tune.unfreeze_after is None else f"trunk until epoch {tune.unfreeze_after}"
                             ) if tune.freeze_trunk else "none"
    return task.model.cpu(), summary

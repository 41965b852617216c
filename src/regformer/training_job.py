"""One training job, as the workflow's train_model rule and `regformer train` run it (beside stages.py: it
trains a chain by name).

`train_job` plans the devices (regformer.train.devices) from the trainer config and the job's GPUs and nodes,
then trains in this process. A job with several GPUs inside a SLURM allocation needs one process per GPU: when
this process is not yet one of those tasks it writes the job to `train_job.json` in the run folder and starts
`srun ... python -m regformer.training_job --spec train_job.json`; each task then runs `train_job` here. Every
task trains (DDP); rank 0 writes the outputs and the rule's log, the other ranks `LOG.rankN`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from regformer.train.devices import plan_devices

log = logging.getLogger(__name__)
SPEC_NAME = "train_job.json"


def train_job(chain: str, store: str, model: str, model_config: dict | None, output: str, log_path: str, *,
              trainer: dict | None = None, gpus: int = 0, nodes: int = 1, threads: int = 2, seed: int = 0) -> None:
    """Train `model` of `chain` on `store` into `output` (model.pt), logging to `log_path` (appended to: a resumed
    run keeps the earlier log). `gpus` per node x `nodes` are the job's own (cluster.gpus, cluster.nodes)."""
    trainer = dict(trainer or {})
    plan = plan_devices(trainer.get("accelerator", "auto"), gpus, nodes)
    srun = plan.srun_command("SLURM_JOB_ID" in os.environ, int(os.environ.get("SLURM_NTASKS") or 1))
    if srun is not None:
        spec = dict(chain=chain, store=str(store), model=model, model_config=model_config, output=str(output),
                    log_path=str(log_path), trainer=trainer, gpus=gpus, nodes=nodes, threads=threads, seed=seed)
        _launch_tasks(srun, spec, Path(output).parent / SPEC_NAME, log_path)
        return
    _train_here(chain, store, model, model_config, output, log_path, trainer, gpus, nodes, threads, seed)


def _train_here(chain, store, model, model_config, output, log_path, trainer, gpus, nodes, threads, seed) -> None:
    """This process's part of the job: a single-process run, or one DDP rank (srun task, Lightning's rank)."""
    from regformer.logs import log_to
    from regformer.train.ranks import global_rank

    rank = global_rank()  # srun's SLURM_PROCID, or LOCAL_RANK of the ranks Lightning starts itself
    log_file = log_path if rank == 0 else f"{log_path}.rank{rank}"
    history = Path(output).parent / "train" / ("train.log" if rank == 0 else f"train.log.rank{rank}")
    with log_to(log_file, append=True, history=history):  # the run folder's train/train.log keeps every run's log
        trainer_cfg = job_trainer_config(trainer, gpus, nodes)  # before any data is read
        import torch

        from regformer import stages

        torch.set_num_threads(max(1, int(os.environ.get("SLURM_CPUS_PER_TASK", threads))))
        stages.train(chain, store, model, model_config or {}, output, trainer_cfg=trainer_cfg, seed=seed)


def job_trainer_config(trainer: dict, gpus: int, nodes: int) -> dict:
    """The trainer config with the devices this process trains on (plan_devices, given what it sees)."""
    import torch

    env = os.environ
    plan = plan_devices(trainer.get("accelerator", "auto"), gpus, nodes, devices=trainer.get("devices", "auto"),
                        num_nodes=trainer.get("num_nodes", 1), strategy=trainer.get("strategy", "auto"),
                        cuda_visible=torch.cuda.is_available(), srun_tasks=int(env.get("SLURM_NTASKS") or 1),
                        in_slurm_job="SLURM_JOB_ID" in env,
                        cuda_note=f"torch {torch.__version__}, "
                                  f"CUDA_VISIBLE_DEVICES={env.get('CUDA_VISIBLE_DEVICES', 'unset')}")
    if plan.notice:
        (log.warning if plan.notice_is_warning else log.info)(plan.notice)
    return {**trainer, **plan.trainer_settings()}


def _launch_tasks(srun: list[str], spec: dict, spec_path: Path, log_path: str) -> None:
    """Start the job's tasks through srun (one per GPU) and wait for them; each reads the job from `spec_path`."""
    from regformer.io.atomic import atomic_path
    from regformer.logs import log_to

    spec_path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(spec_path) as tmp:
        tmp.write_text(json.dumps(spec, indent=2))
    command = [*srun, sys.executable, "-m", "regformer.training_job", "--spec", str(spec_path)]
    with log_to(log_path, append=True):
        log.info("starting the job's training tasks: %s", " ".join(command))
        done = subprocess.run(command, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"the training tasks ({' '.join(srun)}) exited with status {done.returncode}: see "
                               f"this log and its .rankN siblings")


def main(argv: list[str] | None = None) -> int:
    """One srun task of a job that `train_job` launched: run the job written in --spec."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--spec", required=True, help=f"the job's {SPEC_NAME} (written by train_job)")
    args = parser.parse_args(argv)
    train_job(**json.loads(Path(args.spec).read_text()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

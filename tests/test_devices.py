"""The accelerator decision (regformer.train.devices.plan_devices): what a training job asks SLURM for and what its
Lightning trainer gets, from the same config values, with the runtime facts passed in (no GPU needed)."""

from __future__ import annotations

import sys

import pytest

from regformer.errors import InputError
from regformer.train.devices import plan_devices


def test_cpu_asks_for_no_gpu_and_keeps_the_configs_devices():
    plan = plan_devices("cpu", gpus=4, nodes=2, devices=2, strategy="ddp", cuda_visible=True)
    assert (plan.requests_gpus, plan.ranks, plan.gpus) == (False, 1, 0)
    assert plan.trainer_settings() == {"accelerator": "cpu", "devices": 2, "num_nodes": 1, "strategy": "ddp"}
    assert plan.notice is None


def test_request_only_plan_leaves_auto_and_never_fails():
    plan = plan_devices("auto", gpus=2, nodes=2)  # what the workflow plans on a login node without GPUs
    assert (plan.requests_gpus, plan.ranks, plan.accelerator) == (True, 4, "auto")


def test_auto_without_a_gpu_trains_on_the_cpu():
    plan = plan_devices("auto", gpus=1, nodes=1, cuda_visible=False)
    assert plan.trainer_settings() == {"accelerator": "cpu", "devices": "auto", "num_nodes": 1, "strategy": "auto"}
    assert "training on the CPU" in plan.notice and not plan.notice_is_warning
    assert plan_devices("auto", gpus=1, cuda_visible=False, in_slurm_job=True).notice_is_warning
    # no GPUs asked for (the CLI's default): auto is the machine's own choice, nothing to say
    quiet = plan_devices("auto", gpus=0, cuda_visible=True)
    assert (quiet.accelerator, quiet.devices, quiet.notice) == ("gpu", "auto", None)


def test_auto_with_two_gpus_on_two_nodes_uses_them_with_ddp():
    plan = plan_devices("auto", gpus=2, nodes=2, cuda_visible=True, srun_tasks=4, in_slurm_job=True)
    assert (plan.requests_gpus, plan.ranks) == (True, 4)
    assert plan.trainer_settings() == {"accelerator": "gpu", "devices": 2, "num_nodes": 2, "strategy": "ddp"}
    explicit = plan_devices("gpu", gpus=4, nodes=2, strategy="fsdp", cuda_visible=True)
    assert (explicit.devices, explicit.num_nodes, explicit.strategy) == (4, 2, "fsdp")  # the config's strategy stays


def test_tpu_passes_through_and_asks_for_no_gpu():
    plan = plan_devices("tpu", gpus=2, nodes=1, devices=8, cuda_visible=False)
    assert (plan.requests_gpus, plan.ranks) == (False, 1)
    assert plan.trainer_settings() == {"accelerator": "tpu", "devices": 8, "num_nodes": 1, "strategy": "auto"}


def test_gpu_asked_for_but_none_visible_is_a_clear_error():
    with pytest.raises(InputError, match="is gpu, but this machine has no CUDA GPU.*torch 2.*set trainer.accelerator"):
        plan_devices("gpu", gpus=1, cuda_visible=False, cuda_note="torch 2.5, CUDA_VISIBLE_DEVICES=unset")
    with pytest.raises(InputError, match="asked for 4 GPUs, but none is visible"):
        plan_devices("auto", gpus=2, nodes=2, cuda_visible=False, srun_tasks=1)
    with pytest.raises(InputError, match="not one of auto, cpu, gpu, tpu"):
        plan_devices("fpga")


def test_srun_tasks_without_gpus_train_with_cpu_ddp():
    plan = plan_devices("auto", gpus=2, nodes=1, cuda_visible=False, srun_tasks=2, in_slurm_job=True)
    assert plan.trainer_settings() == {"accelerator": "cpu", "devices": 2, "num_nodes": 1, "strategy": "ddp"}
    assert "2 srun tasks train with DDP on the CPU" in plan.notice and plan.notice_is_warning


def test_srun_launch_only_from_the_jobs_single_process():
    plan = plan_devices("auto", gpus=2, nodes=2)
    assert plan.srun_command(in_slurm_job=True, srun_tasks=None) == ["srun", "--ntasks=4", "--ntasks-per-node=2"]
    assert plan.srun_command(in_slurm_job=True, srun_tasks=4) is None  # already one of the tasks
    assert plan.srun_command(in_slurm_job=False, srun_tasks=None) is None  # a workstation: Lightning starts ranks
    assert plan_devices("auto", gpus=1).srun_command(True, None) is None
    assert plan_devices("cpu", gpus=4, nodes=2).srun_command(True, None) is None


def test_planning_a_request_imports_no_torch():
    import subprocess

    code = "import sys, regformer.train.devices, regformer.training_job; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_job_trainer_config_on_this_machine(monkeypatch):
    import torch

    from regformer.training_job import job_trainer_config

    for name in ("SLURM_JOB_ID", "SLURM_NTASKS"):
        monkeypatch.delenv(name, raising=False)
    cfg = job_trainer_config({"accelerator": "auto", "devices": "auto", "precision": "auto"}, gpus=1, nodes=1)
    assert cfg["accelerator"] == ("gpu" if torch.cuda.is_available() else "cpu") and cfg["precision"] == "auto"
    if torch.cuda.is_available():
        assert cfg["devices"] == 1

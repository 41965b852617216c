"""Where a training job runs: one decision for what the job asks SLURM for and what Lightning gets.

`plan_devices` is called by the workflow (the training rule's SLURM resources: GPUs or not, one process per GPU)
and by the job itself (Lightning's accelerator, devices, num_nodes, strategy), from the same config values, so
the request and the trainer always agree. It is torch-free: the facts only the running job knows (is a CUDA GPU
visible, how many srun tasks run) are arguments, left out when planning the request; tests pass them in.
"""

from __future__ import annotations

from dataclasses import dataclass

from regformer.errors import InputError

ACCELERATORS = ("auto", "cpu", "gpu", "tpu")


@dataclass(frozen=True)
class DevicePlan:
    """What one training job uses. `accelerator` stays 'auto' only in a request-only plan (runtime unknown)."""

    requests_gpus: bool  # the job asks for GPUs (accelerator gpu, or auto: a cluster run goes to the GPU partition)
    ranks: int  # processes of the job: one per GPU over all nodes, else 1
    gpus: int  # GPUs per node the job gets (0 when it asks for none)
    nodes: int
    accelerator: str
    devices: int | str
    num_nodes: int
    strategy: str
    notice: str | None = None  # a fallback worth logging (no GPU visible)
    notice_is_warning: bool = False

    def trainer_settings(self) -> dict:
        """The keys of the trainer config that this plan decides."""
        return {"accelerator": self.accelerator, "devices": self.devices, "num_nodes": self.num_nodes,
                "strategy": self.strategy}

    def srun_command(self, in_slurm_job: bool, srun_tasks: int | None) -> list[str] | None:
        """The srun prefix that starts one task per GPU, when this process must launch them: several ranks, inside
        a SLURM allocation, and not already one of several tasks (Snakemake's SLURM job step clears SLURM_NTASKS, so
        a bare srun would start one task per node: the counts are explicit). None: train in this process."""
        if self.ranks <= 1 or not in_slurm_job or (srun_tasks or 1) > 1:
            return None
        return ["srun", f"--ntasks={self.ranks}", f"--ntasks-per-node={max(1, self.ranks // self.nodes)}"]


def plan_devices(accelerator: str = "auto", gpus: int = 0, nodes: int = 1, *, devices: int | str = "auto",
                 num_nodes: int = 1, strategy: str = "auto", cuda_visible: bool | None = None, srun_tasks: int = 1,
                 in_slurm_job: bool = False, cuda_note: str = "") -> DevicePlan:
    """The plan for trainer.accelerator and cluster `gpus` (per node) x `nodes`; `devices`, `num_nodes`, `strategy`
    are the trainer config's own, kept where the job gets no GPUs.

    With `cuda_visible` None only the request is planned (what the workflow asks SLURM for). Given the runtime
    facts: auto uses the GPUs the job got, or the CPU when torch sees none (several srun tasks then train with DDP
    over CPU processes; several GPUs asked for without such tasks is an error); gpu without a visible GPU is an
    error naming the fix, before any data is read.
    """
    if accelerator not in ACCELERATORS:
        raise InputError("trainer.accelerator", f"is {accelerator!r}, not one of {', '.join(ACCELERATORS)}",
                         "set trainer.accelerator to auto, cpu, gpu or tpu in your config file")
    requests_gpus = accelerator in ("gpu", "auto")
    job_gpus = int(gpus or 0) if requests_gpus else 0
    nodes = int(nodes or 1)
    ranks = job_gpus * nodes if job_gpus else 1
    plan = dict(requests_gpus=requests_gpus, ranks=ranks, gpus=job_gpus, nodes=nodes, accelerator=accelerator,
                devices=devices, num_nodes=num_nodes, strategy=strategy)
    if cuda_visible is None:
        return DevicePlan(**plan)
    if accelerator == "gpu" and not cuda_visible:
        raise InputError("trainer.accelerator", "is gpu, but this machine has no CUDA GPU that torch can use"
                         + (f" ({cuda_note})" if cuda_note else ""),
                         "set trainer.accelerator: auto (GPU when there is one, else CPU) or cpu in your config file, "
                         "or run the training on a GPU node (snakemake --profile profiles/slurm)")
    if accelerator == "auto":
        plan["accelerator"] = "gpu" if cuda_visible else "cpu"
        if job_gpus and not cuda_visible:
            plan.update(_cpu_fallback(ranks, job_gpus, nodes, srun_tasks, in_slurm_job))
    if plan["accelerator"] == "gpu" and job_gpus:
        plan.update(devices=job_gpus, num_nodes=nodes)
        if ranks > 1 and strategy == "auto":
            plan["strategy"] = "ddp"
    return DevicePlan(**plan)


def _cpu_fallback(ranks: int, gpus: int, nodes: int, srun_tasks: int, in_slurm_job: bool) -> dict:
    """The job asked for GPUs (accelerator auto) and torch sees none: train on the CPU, with DDP over the srun tasks
    when srun started one per requested GPU."""
    if ranks > 1 and srun_tasks == ranks:
        return dict(accelerator="cpu", devices=gpus, num_nodes=nodes, strategy="ddp", notice_is_warning=True,
                    notice=f"no GPU visible to torch: the job's {ranks} srun tasks train with DDP on the CPU")
    if ranks > 1:
        raise InputError("trainer.accelerator", f"is auto and the job asked for {ranks} GPUs, but none is visible "
                         "to torch", "run on GPU nodes, or set trainer.accelerator: cpu in your config file")
    # worth a warning on a cluster's GPU node; on a workstation it is the usual CPU run
    return dict(accelerator="cpu", notice="no GPU visible to torch: training on the CPU",
                notice_is_warning=in_slurm_job)

"""The run record at the end of every report: what produced it, so a page copied off a cluster can be traced back.

regformer's version and git commit, the versions of Python and the libraries the chain uses, the dataset's config
block, each model's recipe (only the settings that apply to it), the device it trained on, and the wall time of
each stage. Wall times come from the stages' log files (results/logs/{chain}/{dataset}/...): every line is
time-stamped, so first-to-last line is the stage's time without adding benchmark files to every rule.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import platform
import re
import subprocess
from datetime import datetime
from html import escape
from importlib import metadata
from pathlib import Path

CORE_LIBRARIES = ("regformer", "torch", "lightning", "snakemake", "numpy", "h5py")
TRAINING_DEVICE_KEYS = ("device", "devices", "num_nodes", "effective_batch_size")
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),\d{3} ")

# What the scaffold knows about the run that produced a report (set by regformer.stages.report): the chain object
# and the dataset's config block. Kept out of every chain's report signature.
_CONTEXT: contextvars.ContextVar[dict] = contextvars.ContextVar("regformer_report_context", default={})


@contextlib.contextmanager
def report_context(**context):
    """Within this block, write_report finds `context` (chain=, settings=) through current_context()."""
    token = _CONTEXT.set(dict(context))
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def current_context() -> dict:
    return _CONTEXT.get()


def versions(libraries: tuple[str, ...] = ()) -> dict[str, str]:
    """Distribution name -> installed version ('not installed' when absent), Python's first."""
    found = {"python": platform.python_version()}
    for name in CORE_LIBRARIES + tuple(libraries):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def git_commit(where: Path | None = None) -> str | None:
    """The commit of the checkout regformer is imported from ('+ uncommitted changes' when dirty); None outside one."""
    where = where or Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + (" + uncommitted changes" if dirty else "")


FINETUNE_KEYS = ("init", "freeze", "unfreeze_after", "unfreeze_lr", "accumulate_grad_batches")


def applicable_recipe(recipe: dict, closed_form: bool = False, own_loss: bool = False) -> dict:
    """The recipe's settings that act on this model: none for a closed-form fit; no loss settings when the model
    brings its own loss; huber_delta only with loss huber, soft_bin_sd only with soft_bin_kl, swa_* only with swa,
    momentum only with sgd, warmup_steps only with lr_schedule warmup, fine-tuning settings only when fine-tuning."""
    if closed_form:
        return {}
    keep = dict(recipe)
    loss = keep.get("loss")
    if own_loss:
        keep["loss"] = f"{loss} (the network's own training_loss)"
    if own_loss or loss != "huber":
        keep.pop("huber_delta", None)
    if own_loss or loss != "soft_bin_kl":
        keep.pop("soft_bin_sd", None)
    if not keep.get("swa"):
        for key in [k for k in keep if k.startswith("swa_")]:
            keep.pop(key)
    if keep.get("optimizer", "sgd") != "sgd":
        keep.pop("momentum", None)
    if keep.get("lr_schedule", "warmup") != "warmup":
        keep.pop("warmup_steps", None)
    accumulate = keep.get("accumulate_grad_batches") or 1
    if not keep.get("init") and keep.get("freeze", "none") == "none" and accumulate == 1:
        for key in FINETUNE_KEYS:  # no fine-tuning: its settings say nothing
            keep.pop(key, None)
    return keep


def stage_times(logs_dir: Path) -> dict[str, float]:
    """Stage (log path under logs_dir, without .log) -> seconds from its log's first to last time-stamped line."""
    times = {}
    for log in sorted(Path(logs_dir).rglob("*.log")) if Path(logs_dir).is_dir() else []:
        stamps = [m.group(1) for line in log.read_text(errors="replace").splitlines() if (m := _STAMP.match(line))]
        if stamps:
            first, last = (datetime.strptime(s, "%Y-%m-%d %H:%M:%S") for s in (stamps[0], stamps[-1]))
            times[log.relative_to(logs_dir).with_suffix("").as_posix()] = (last - first).total_seconds()
    return times


def html_table(header: tuple[str, ...], rows: list[tuple]) -> str:
    """A plain HTML table of text cells (escaped), scrollable when wide."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def network_of(name: str, metrics: dict) -> str:
    """The network a model folder holds: what its metrics.json names (model), else the folder's name."""
    return metrics.get("model") or name


def has_own_loss(spec) -> bool:
    """Whether the spec's network brings its own training_loss (built on torch's meta device: no memory)."""
    if spec.kind == "closed_form":
        return False
    import torch

    try:
        with torch.device("meta"):
            return hasattr(spec.build(**spec.demo), "training_loss")
    except (TypeError, ValueError, RuntimeError):  # a demo config that needs the data: say nothing
        return False


def _model_rows(all_metrics: dict[str, dict], specs: dict) -> tuple[list[tuple], list[tuple]]:
    """(recipe rows, device rows): one per model."""
    recipes, devices = [], []
    for name, metrics in all_metrics.items():
        spec = specs.get(network_of(name, metrics))
        closed = spec is not None and spec.kind == "closed_form"
        own_loss = spec is not None and has_own_loss(spec)
        recipe = {**applicable_recipe(metrics.get("recipe") or {}, closed, own_loss),
                  **(metrics.get("loss_weights") or {})}
        text = ", ".join(f"{k}={'off' if v is None else v}" for k, v in recipe.items())
        recipes.append((name, "closed form: fitted in one pass, no training recipe" if closed else text or "not recorded"))
        training = metrics.get("training") or {}
        shown = {k: training[k] for k in TRAINING_DEVICE_KEYS if k in training}
        devices.append((name, ", ".join(f"{k}={v}" for k, v in shown.items()) or "not recorded in metrics.json"))
    return recipes, devices


def run_record_html(all_metrics: dict[str, dict], specs: dict | None = None, libraries: tuple[str, ...] = (),
                    settings: dict | None = None, logs_dir: Path | None = None) -> str:
    """The run record as a folded <details id="run-record"> section."""
    commit = git_commit() or "not a git checkout"
    parts = [f"<p>regformer commit: <code>{escape(commit)}</code>; report host: {escape(platform.node())}.</p>",
             "<h3>Versions</h3>", html_table(("package", "version"), list(versions(libraries).items()))]
    parts += ["<h3>Dataset configuration</h3>",
              f"<pre>{escape(json.dumps(settings, indent=2, default=str))}</pre>" if settings else
              '<p class="note">Not given (the report was not written by the workflow\'s write_report rule).</p>']
    recipes, devices = _model_rows(all_metrics, specs or {})
    parts += ["<h3>Recipes (settings that apply to each model)</h3>", html_table(("model", "recipe"), recipes),
              "<h3>Where each model trained</h3>", html_table(("model", "device"), devices)]
    times = stage_times(logs_dir) if logs_dir else {}
    parts.append("<h3>Wall time per stage</h3>")
    rows = [(stage, f"{seconds:,.0f}" if seconds >= 1 else "< 1") for stage, seconds in times.items()]
    parts.append(html_table(("stage (log file)", "wall time (s)"), rows)
                 if times else '<p class="note">No stage logs found next to this report.</p>')
    return ('<details class="run-details" id="run-record"><summary>Code, versions, configuration, devices, '
            "wall times</summary>\n" + "\n".join(parts) + "\n</details>")

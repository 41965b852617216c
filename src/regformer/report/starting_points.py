"""The report's fine-tuning section: which weights each model started from, what was frozen, and how a model
that started from trained weights compares with the same network trained from scratch at its optimizer steps."""

from __future__ import annotations

from html import escape

from regformer.report.record import html_table, network_of


def _started(training: dict) -> str:
    init = training.get("started_from")
    if not init:
        closed_form = "effective_batch_size" in training and training["effective_batch_size"] is None
        return "fitted in closed form" if closed_form else "random initialisation"
    head = "a new head" if init.get("head") == "new" else "its head too"
    return f"{init.get('weights')} ({init.get('format')}; {init.get('loaded', '?')} tensors loaded, {head})"


def fine_tuned(all_metrics: dict[str, dict]) -> list[str]:
    """Models whose training started from other weights or froze a part (training.started_from / frozen)."""
    return [name for name, m in all_metrics.items()
            if (m.get("training") or {}).get("started_from") or (m.get("training") or {}).get("frozen")]


def starting_points_html(all_metrics: dict[str, dict], headline_metrics: tuple[str, ...]) -> str | None:
    """A table of every model's starting point and a sentence per fine-tuned model against the same network
    from scratch; None when no model was fine-tuned (the page says nothing then)."""
    tuned = fine_tuned(all_metrics)
    if not tuned:
        return None
    metric = next((k for k in headline_metrics if all(k in m for m in all_metrics.values())), None)
    rows = []
    for name, m in all_metrics.items():
        training = m.get("training") or {}
        value = f"{m[metric]:.3f}" if metric and isinstance(m.get(metric), (int, float)) else ""
        rows.append((name, network_of(name, m), _started(training), training.get("frozen", "none"),
                     training.get("optimizer_steps", ""), training.get("training_seconds", ""), value))
    header = ("model", "network", "started from", "frozen", "optimizer steps", "training seconds", f"test {metric}")
    sentences = [s for name in tuned if (s := _against_scratch(name, all_metrics, tuned, metric))]
    return html_table(header, rows) + "".join(f"<p>{escape(s)}</p>" for s in sentences)


def _against_scratch(name: str, all_metrics: dict[str, dict], tuned: list[str], metric: str | None) -> str | None:
    """'enformer_finetuned (...) reaches test pearson 0.41 in 288 optimizer steps; enformer from scratch 0.05 in
    288.' for each same-network model trained from random weights; None without one."""
    if metric is None:
        return None
    m = all_metrics[name]
    scratch = [other for other, o in all_metrics.items() if other not in tuned
               and network_of(other, o) == network_of(name, m) and metric in o]
    if not scratch:
        return None
    steps = (m.get("training") or {}).get("optimizer_steps")
    parts = [f"{other} from scratch {all_metrics[other][metric]:.3f} in "
             f"{(all_metrics[other].get('training') or {}).get('optimizer_steps', '?')}" for other in scratch]
    return (f"{name} (started from {_started(m.get('training') or {})}, frozen: "
            f"{(m.get('training') or {}).get('frozen', 'none')}) reaches test {metric} {m[metric]:.3f} in {steps} "
            f"optimizer steps; {'; '.join(parts)}.")

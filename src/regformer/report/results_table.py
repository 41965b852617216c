"""The headline-results table of the README and docs/benchmarks.md, written from results folders (never typed).

One row per dataset (results/{chain}/{dataset}/ holding model folders with metrics.json): the chain's first
headline metric, the best model, its value, the baseline's, the difference with its paired bootstrap SE (as the
report's verdict box computes it) and the share of the noise ceiling where the folder has one.

    python bench/results_table.py results            # every chain and dataset under results/
"""

from __future__ import annotations

import json
from pathlib import Path

from regformer.chains.registry import CHAINS, doc_pages, load_chain
from regformer.report import verdict
from regformer.report.record import network_of

REPORT_NAME = "report.html"
DOC_PAGES = doc_pages()  # per-chain pages with the measured results (the README's links)


def dataset_row(chain: str, dataset_dir: Path, n_boot: int = verdict.REPORT_BOOTSTRAP) -> dict | None:
    """The headline numbers of one dataset folder; None when it holds no scored model."""
    chain_object = load_chain(chain)
    metrics = {p.name: json.loads((p / "metrics.json").read_text()) for p in sorted(dataset_dir.iterdir())
               if (p / "metrics.json").is_file()}
    # model folders only, not noise_ceiling/: a folder whose network (record.network_of) is one of the chain's
    metrics = {name: m for name, m in metrics.items() if network_of(name, m) in chain_object.models}
    models = {name: dataset_dir / name for name in metrics}
    if not models:
        return None
    metric = next((m for m in chain_object.headline_metrics if verdict.best_model(metrics, m)), None)
    if metric is None:
        return None
    best, baseline = verdict.best_model(metrics, metric), chain_object.baseline_model
    row = {"chain": chain, "dataset": dataset_dir.name, "metric": metric, "best": best,
           "value": float(metrics[best][metric]), "baseline": baseline, "report": dataset_dir / REPORT_NAME}
    if baseline in metrics and best != baseline and metrics[baseline].get(metric) is not None:
        row["baseline_value"] = float(metrics[baseline][metric])
        row["delta"] = row["value"] - row["baseline_value"]
        diff = verdict.difference_se(chain_object.verdict_samples(dataset_dir, models), metric, best, baseline, n_boot, 0)
        row["se"] = None if diff is None else diff.se
    row["ceiling"] = _ceiling(dataset_dir).get(metric)
    return row


def _ceiling(dataset_dir: Path) -> dict:
    """The synthetic demos' noise ceiling: noise_ceiling/metrics.json (Hi-C, tracks) or the promoter store's summary."""
    ceiling_path, summary_path = dataset_dir / "noise_ceiling" / "metrics.json", dataset_dir / "prepared" / "summary.json"
    if ceiling_path.is_file():
        return json.loads(ceiling_path.read_text())
    if summary_path.is_file():
        return json.loads(summary_path.read_text()).get("noise_ceiling") or {}
    return {}


def rows(results: Path, n_boot: int = verdict.REPORT_BOOTSTRAP) -> list[dict]:
    """Rows of every results/{chain}/{dataset}/ folder, chains in the registry's order."""
    found = []
    for chain in CHAINS:
        for dataset_dir in sorted(p for p in (results / chain).glob("*") if p.is_dir()):
            row = dataset_row(chain, dataset_dir, n_boot)
            if row:
                found.append(row)
    return found


def markdown(found: list[dict], link_root: Path | None = None, pages: dict[str, str] | None = None) -> str:
    """The compact Markdown table; the last column links each report (relative to `link_root` when given) or,
    with `pages`, each chain's documentation page instead (results/ is not in the repository)."""
    lines = ["| chain / dataset | metric | best model | value | baseline | Δ vs baseline ± SE | share of noise ceiling |"
             f" {'more' if pages else 'report'} |", "|---|---|---|---:|---|---:|---:|---|"]
    for r in found:
        base = f"{r['baseline']} {r['baseline_value']:.3f}" if "baseline_value" in r else (
            "(the baseline is best)" if r["best"] == r["baseline"] else "")
        delta = f"{r['delta']:+.3f}" + (f" ± {r['se']:.3f}" if r.get("se") is not None else "") if "delta" in r else ""
        share = f"{r['value'] / r['ceiling']:.0%}" if r.get("ceiling") else ""
        report = r["report"].relative_to(link_root) if link_root else r["report"]
        link = f"[{r['chain']}]({pages[r['chain']]})" if pages else f"[{report.name}]({report.as_posix()})"
        lines.append(f"| {r['chain']} / {r['dataset']} | {r['metric']} | {r['best']} | {r['value']:.3f} | {base} | "
                     f"{delta} | {share} | {link} |")
    return "\n".join(lines)

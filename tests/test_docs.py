"""The documentation: README length and links, the configuration page generated from the schema, and the
headline-results table written from results folders (a hand-made one here)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import h5py
import numpy as np

from regformer.report.config_doc import render
from regformer.report.results_table import markdown, rows

ROOT = Path(__file__).resolve().parents[1]
# pages other engineers write on their own branches; the README links them before they land
PAGES_OF_OTHERS = {"docs/multi-gpu.md", "docs/troubleshooting.md", "docs/raw-data.md", "docs/apply.md",
                   "docs/scatac.md", "docs/pretrained.md"}


def test_configuration_page_is_generated_from_the_schema():
    expected = render(ROOT / "workflow/schemas/config.schema.yaml")
    assert (ROOT / "docs/configuration.md").read_text() == expected, (
        "docs/configuration.md differs from the schema: run python -m regformer.report.config_doc "
        "workflow/schemas/config.schema.yaml docs/configuration.md")
    assert "| `hic.datasets.NAME.bin_size` |" in expected and "| `trainer.precision` |" in expected


def test_readme_is_short_and_its_links_resolve():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    assert "make demo\nmake test" in readme
    links = set(re.findall(r"\]\(([^)#]+)\)", readme))
    missing = [link for link in links if not link.startswith("http") and link not in PAGES_OF_OTHERS
               and not (ROOT / link).exists()]
    assert not missing, missing
    for page in sorted((ROOT / "docs").glob("*.md")):
        for link in re.findall(r"\]\(([^)#:]+\.md)\)", page.read_text()):
            assert f"docs/{link}" in PAGES_OF_OTHERS or (page.parent / link).exists(), f"{page.name} -> {link}"


def _promoter_dataset(folder: Path) -> None:
    rng = np.random.default_rng(0)
    measured = rng.normal(size=300)
    for name, noise in (("promoter_transformer", 0.4), ("kmer_ridge", 1.2)):
        prediction = measured + rng.normal(scale=noise, size=300)
        (folder / name).mkdir(parents=True)
        (folder / name / "metrics.json").write_text(json.dumps(
            {"pearson": float(np.corrcoef(prediction, measured)[0, 1]), "spearman": 0.5}))
        with h5py.File(folder / name / "predictions.h5", "w") as h5:
            h5["prediction"], h5["measured"] = prediction, measured
    (folder / "noise_ceiling").mkdir()
    (folder / "noise_ceiling" / "metrics.json").write_text(json.dumps({"pearson": 0.98}))


def test_results_table_is_written_from_the_results_folders(tmp_path):
    results = tmp_path / "results"
    _promoter_dataset(results / "promoter" / "demo")
    (results / "hic" / "empty").mkdir(parents=True)  # a dataset with no scored model is left out
    found = rows(results, n_boot=100)
    assert [(r["chain"], r["dataset"], r["best"], r["metric"]) for r in found] == [
        ("promoter", "demo", "promoter_transformer", "pearson")]
    row = found[0]
    assert row["delta"] == row["value"] - row["baseline_value"] and 0 < row["se"] < row["delta"]
    table = markdown(found, link_root=tmp_path)
    line = table.splitlines()[2]
    assert line.startswith(f"| promoter / demo | pearson | promoter_transformer | {row['value']:.3f} | kmer_ridge ")
    assert f"{row['delta']:+.3f} ± {row['se']:.3f}" in line and f"{row['value'] / 0.98:.0%}" in line
    assert "[report.html](results/promoter/demo/report.html)" in line
    assert markdown(found, pages={"promoter": "docs/promoter.md"}).splitlines()[2].endswith(
        "| [promoter](docs/promoter.md) |")

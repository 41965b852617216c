"""The model-comparison report: real files in, one self-contained HTML page out."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from regformer.errors import InputError
from regformer.report.html import load_curves, load_metrics, write_report

CSV_HEADER = "epoch,step,train_loss,val_loss,val_pearson\n"
CSV_ROWS = (
    "0,9,0.90,,\n"
    "0,9,,0.80,0.41\n"
    "1,19,0.50,,\n"
    "1,19,,0.45,0.63\n"
    "2,29,0.30,,\n"
    "2,29,,0.35,0.71\n"
)


def make_model(root, name, metrics, *, predictions=True, curves=True, n=6000, noise=0.5):
    """A model directory laid out as the workflow writes it."""
    directory = root / name
    directory.mkdir(parents=True)
    (directory / "metrics.json").write_text(json.dumps(metrics))
    if predictions:
        rng = np.random.default_rng(1)
        measured = rng.normal(size=n)
        frame = pd.DataFrame(
            {"measured": measured, "predicted": measured + rng.normal(scale=noise, size=n), "noise_free": measured}
        )
        frame.to_csv(directory / "predictions.tsv", sep="\t", index=False)
    if curves:
        (directory / "train").mkdir()
        (directory / "train" / "metrics.csv").write_text(CSV_HEADER + CSV_ROWS)
    return directory


@pytest.fixture
def two_models(tmp_path):
    """A trained transformer with curves and predictions, and a ridge baseline with neither."""
    transformer = make_model(
        tmp_path,
        "transformer",
        {
            "model": "RegFormer",
            "pearson": 0.8771,
            "spearman": 0.85,
            "r2": 0.76,
            "mse": 0.21,
            "n_test": 6000,
            "n_parameters": 1234567,
            "per_map": {"chr1_map": {"mse": 0.11, "pearson": 0.912}, "chr2_map": {"mse": 0.13, "pearson": 0.888}},
        },
    )
    ridge = make_model(
        tmp_path,
        "ridge",
        {"model": "Ridge", "pearson": 0.5432, "spearman": 0.52, "r2": 0.29, "mse": 0.70, "n_test": 6000,
         "n_parameters": 4097},
        predictions=False,
        curves=False,
    )
    return {"transformer": transformer, "ridge": ridge}


CEILING = {"pearson": 0.93, "r2": 0.86, "description": "noise-free vs measured expression on the test split"}


def test_report_is_self_contained_and_complete(tmp_path, two_models):
    out = write_report(
        tmp_path / "report" / "index.html",
        title="Promoter models <v1>",
        dataset="synthetic_promoters",
        models=two_models,
        noise_ceiling=CEILING,
        model_notes={"ridge": "k-mer counts & an intercept"},
        intro="Compares models.",
        extra_sections=[("Contact maps", "<p id='extra'>extra figure</p>")],
    )
    html = out.read_text()
    assert out.exists() and out.parent.name == "report"
    assert not re.search(r"""(src|href)\s*=\s*["']?https?://""", html)
    assert "http://" not in html and "https://" not in html
    assert "transformer" in html and "ridge" in html
    assert "synthetic_promoters" in html
    assert "Promoter models &lt;v1&gt;" in html  # user strings are escaped
    assert "k-mer counts &amp; an intercept" in html
    assert "noise ceiling" in html
    assert html.count("data:image/png;base64,") == 2  # scatter grid + loss curves
    assert "<p id='extra'>extra figure</p>" in html  # extra sections are raw HTML
    assert "<b>0.877</b>" in html and "<b>0.543</b>" not in html  # best pearson bolded
    assert "<b>0.210</b>" in html  # lower mse is better
    assert "1,234,567" in html and "<b>1,234,567</b>" not in html and "<b>4,097</b>" not in html
    assert "per_map" in html and "transformer / chr1_map" in html and "0.912" in html
    assert not list(out.parent.glob("*.tmp"))  # atomic write left no temp file


def test_column_order_puts_headline_metrics_first(tmp_path, two_models):
    html = write_report(tmp_path / "r.html", title="t", dataset="d", models=two_models).read_text()
    header = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    columns = re.findall(r"<th>([^<]*)</th>", header)
    assert columns == ["model", "pearson", "spearman", "r2", "mse", "n_parameters", "n_test"]


def test_no_ceiling_row_without_ceiling(tmp_path, two_models):
    html = write_report(tmp_path / "r.html", title="t", dataset="d", models=two_models).read_text()
    assert "noise ceiling" not in html
    assert 'class="ceiling"' not in html


def test_ceiling_row_only_has_its_metrics(tmp_path, two_models):
    html = write_report(
        tmp_path / "r.html", title="t", dataset="d", models=two_models, noise_ceiling=CEILING
    ).read_text()
    row = re.search(r'<tr class="ceiling">(.*?)</tr>', html).group(1)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
    assert cells == ["noise ceiling", "0.930", "", "0.860", "", "", ""]


def test_report_without_any_figures(tmp_path):
    ridge = make_model(tmp_path, "ridge", {"pearson": 0.5}, predictions=False, curves=False)
    html = write_report(tmp_path / "r.html", title="t", dataset="d", models={"ridge": ridge}).read_text()
    assert "data:image/png;base64," not in html
    assert "No model wrote predictions.tsv." in html
    assert "<b>" not in html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]  # one model: nothing to rank


def test_missing_metrics_raises_input_error_naming_the_file(tmp_path, two_models):
    empty = tmp_path / "results" / "promoters" / "d" / "cnn"
    empty.mkdir(parents=True)
    with pytest.raises(InputError) as caught:
        write_report(tmp_path / "r.html", title="t", dataset="d", models={**two_models, "cnn": empty})
    assert str(empty / "metrics.json") in str(caught.value)
    assert "metrics.json" in caught.value.fix
    assert not (tmp_path / "r.html").exists()


def test_load_metrics_rejects_non_object(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text("[1, 2]")
    with pytest.raises(InputError, match="JSON object"):
        load_metrics(path)


def test_load_curves_merges_train_and_val_rows_per_epoch(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text(CSV_HEADER + CSV_ROWS)
    curves = load_curves(path)
    assert list(curves.index) == [0, 1, 2]
    assert curves.index.name == "epoch"
    assert list(curves.columns) == ["train_loss", "val_loss", "val_pearson"]
    assert curves.loc[1, "train_loss"] == pytest.approx(0.50)
    assert curves.loc[1, "val_loss"] == pytest.approx(0.45)
    assert curves.loc[2, "val_pearson"] == pytest.approx(0.71)
    assert not curves.isna().any().any()


def test_load_curves_averages_per_step_train_rows(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("epoch,step,train_loss,val_loss\n0,1,1.0,\n0,2,3.0,\n0,2,,1.5\n")
    curves = load_curves(path)
    assert curves.loc[0, "train_loss"] == pytest.approx(2.0)
    assert curves.loc[0, "val_loss"] == pytest.approx(1.5)


def test_promoter_report_says_when_a_model_is_a_seed_ensemble(tmp_path):
    from regformer.report.promoter import write_promoter_report

    summary = tmp_path / "summary.json"
    summary.write_text(json.dumps({"length": 110, "n_duplicates": 0, "n_records": 6000, "seed": 0,
                                   "fractions": {"train": 0.8, "val": 0.1, "test": 0.1}, "noise_ceiling": None}))
    scores = {"pearson": 0.65, "spearman": 0.67, "r2": 0.42, "mse": 3.4, "n_test": 600}
    ensemble = make_model(tmp_path, "promoter_transformer", {**scores, "n_parameters": 4 * 501_185, "members": 4})
    ridge = make_model(tmp_path, "kmer_ridge", {**scores, "n_parameters": 5461}, predictions=False, curves=False)
    html = write_promoter_report(tmp_path / "report.html", "d", summary,
                                 [ensemble / "metrics.json", ridge / "metrics.json"]).read_text()
    assert "2,004,740 parameters as configured here (a seed ensemble of 4 networks, predictions averaged)" in html
    assert html.count("seed ensemble") == 1  # not said of the single ridge model

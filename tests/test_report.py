"""The model-comparison report: real files in, one self-contained HTML page out."""

from __future__ import annotations

import json
import os
import re
import stat

import h5py
import numpy as np
import pytest

from regformer.errors import InputError
from regformer.report.html import image, load_curves, load_metrics, load_predictions, write_report

CSV_HEADER = "epoch,step,train_loss,val_loss,val_pearson\n"
CSV_ROWS = (
    "0,9,0.90,,\n"
    "0,9,,0.80,0.41\n"
    "1,19,0.50,,\n"
    "1,19,,0.45,0.63\n"
    "2,29,0.30,,\n"
    "2,29,,0.35,0.71\n"
)


def write_predictions(path, prediction, measured=None, std=None):
    """A predictions.h5 as the chains' evaluate rules write it (float16 predictions, store row ids)."""
    with h5py.File(path, "w") as h5:
        h5.create_dataset("prediction", data=np.asarray(prediction, dtype=np.float16))
        h5.create_dataset("rows", data=np.arange(len(prediction)))
        if measured is not None:
            h5.create_dataset("measured", data=measured)
        if std is not None:
            h5.create_dataset("std", data=np.asarray(std, dtype=np.float16))
    return path


def make_model(root, name, metrics, *, predictions=True, curves=True, n=6000, noise=0.5):
    """A model directory laid out as the workflow writes it."""
    directory = root / name
    directory.mkdir(parents=True)
    (directory / "metrics.json").write_text(json.dumps(metrics))
    if predictions:
        rng = np.random.default_rng(1)
        measured = rng.normal(size=n)
        write_predictions(directory / "predictions.h5", measured + rng.normal(scale=noise, size=n), measured)
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
    columns = re.findall(r"<th>([^<]*)</th>", header.replace("<wbr>", ""))
    assert columns == ["model", "pearson", "spearman", "r2", "mse", "n_parameters", "n_test"]


def test_tables_wrap_their_headers_and_scroll_in_their_own_box(tmp_path, two_models):
    """At 1280 px the page must not be cut: long column names wrap after underscores, and a table still too wide
    scrolls inside its own box; Run details leaves out fields that only repeat the model's name."""
    html = write_report(tmp_path / "r.html", title="t", dataset="d", models=two_models).read_text()
    assert "<th>n_<wbr>parameters</th>" in html and ".table-wrap { max-width: 100%; overflow-x: auto; }" in html
    assert html.count("<table>") == html.count('<div class="table-wrap"><table>')
    same = {name: json.loads((d / "metrics.json").read_text()) for name, d in two_models.items()}
    for name, directory in two_models.items():
        (directory / "metrics.json").write_text(json.dumps({**same[name], "model": name}))
    html = write_report(tmp_path / "r2.html", title="t", dataset="d", models=two_models).read_text()
    assert "Run details" not in html  # its only field was the model name again


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
    assert "No model wrote predictions.h5 with measured values." in html
    assert "<b>" not in html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]  # one model: nothing to rank


def test_missing_metrics_raises_input_error_naming_the_file(tmp_path, two_models):
    empty = tmp_path / "results" / "promoters" / "d" / "cnn"
    empty.mkdir(parents=True)
    with pytest.raises(InputError) as caught:
        write_report(tmp_path / "r.html", title="t", dataset="d", models={**two_models, "cnn": empty})
    assert str(empty / "metrics.json") in str(caught.value)
    assert "metrics.json" in caught.value.fix
    assert not (tmp_path / "r.html").exists()


def test_report_skips_the_scatter_for_map_predictions(tmp_path, two_models):
    """A Hi-C style predictions.h5 (2-D maps, no measured values) gets no scatter panel."""
    hic = make_model(tmp_path, "akita", {"pearson": 0.6}, predictions=False, curves=False)
    write_predictions(hic / "predictions.h5", np.zeros((4, 10)), std=np.ones((4, 10)))
    html = write_report(tmp_path / "r.html", title="t", dataset="d", models={"akita": hic}).read_text()
    assert "data:image/png;base64," not in html
    assert "No model wrote predictions.h5 with measured values." in html
    with_scatter = write_report(tmp_path / "s.html", title="t", dataset="d",
                                models={**two_models, "akita": hic}).read_text()
    assert with_scatter.count("data:image/png;base64,") == 2  # the transformer's scatter + its curves


def test_report_without_scatter_ignores_predictions(tmp_path, two_models):
    broken = make_model(tmp_path, "broken", {"pearson": 0.1}, predictions=False, curves=False)
    (broken / "predictions.h5").write_text("not hdf5")
    html = write_report(tmp_path / "r.html", title="t", dataset="d", models={**two_models, "broken": broken},
                        scatter=False).read_text()
    assert "Predicted vs measured" not in html and "scatter plots" not in html
    assert html.count("data:image/png;base64,") == 1  # loss curves only


def test_report_is_group_readable_whatever_the_umask(tmp_path, two_models):
    old = os.umask(0o077)
    try:
        out = write_report(tmp_path / "r.html", title="t", dataset="d", models=two_models)
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


def test_image_inlines_png_or_says_what_is_missing():
    assert image(None, "alt", "No <maps>.") == '<p class="note">No &lt;maps&gt;.</p>'
    tag = image(b"\x89PNG", 'a "b"', "unused")
    assert tag.startswith('<img src="data:image/png;base64,iVBORw==')
    assert 'alt="a &quot;b&quot;"' in tag


def test_load_predictions_reads_measured_and_predicted(tmp_path):
    path = write_predictions(tmp_path / "predictions.h5", [0.5, 1.5, -2.0], measured=[1, 2, -3], std=[0.1] * 3)
    frame = load_predictions(path)
    assert list(frame.columns) == ["measured", "predicted"]
    assert frame["measured"].tolist() == [1.0, 2.0, -3.0]
    assert frame["predicted"].tolist() == [0.5, 1.5, -2.0]
    assert frame.dtypes.tolist() == [np.float64, np.float64]


def test_load_predictions_is_none_without_scalar_targets(tmp_path):
    maps = write_predictions(tmp_path / "maps.h5", np.ones((3, 5, 5)))
    assert load_predictions(maps) is None
    unmeasured = write_predictions(tmp_path / "unmeasured.h5", [1.0, 2.0])
    assert load_predictions(unmeasured) is None
    maps_measured = write_predictions(tmp_path / "mm.h5", np.ones((3, 5)), measured=np.ones((3, 5)))
    assert load_predictions(maps_measured) is None


def test_load_predictions_rejects_a_file_that_is_not_hdf5(tmp_path):
    path = tmp_path / "predictions.h5"
    path.write_text("measured\tpredicted\n1\t2\n")
    with pytest.raises(InputError) as caught:
        load_predictions(path)
    assert caught.value.source == str(path)
    assert "HDF5" in caught.value.problem
    assert "predictions.h5" in caught.value.fix


def test_load_predictions_rejects_missing_prediction_or_mismatched_lengths(tmp_path):
    path = tmp_path / "empty.h5"
    with h5py.File(path, "w") as h5:
        h5.create_dataset("measured", data=[1.0, 2.0])
    with pytest.raises(InputError, match="no 'prediction' dataset"):
        load_predictions(path)
    short = write_predictions(tmp_path / "short.h5", [1.0, 2.0], measured=[1.0, 2.0, 3.0])
    with pytest.raises(InputError, match="shape"):
        load_predictions(short)


def test_broken_predictions_fail_the_report_naming_the_file(tmp_path, two_models):
    (two_models["transformer"] / "predictions.h5").write_bytes(b"\0" * 64)
    with pytest.raises(InputError) as caught:
        write_report(tmp_path / "r.html", title="t", dataset="d", models=two_models)
    assert caught.value.source == str(two_models["transformer"] / "predictions.h5")
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
    from regformer.chains.promoter.report import write_promoter_report

    summary = tmp_path / "summary.json"
    summary.write_text(json.dumps({"length": 110, "n_duplicates": 0, "n_records": 6000, "seed": 0,
                                   "fractions": {"train": 0.8, "val": 0.1, "test": 0.1}, "noise_ceiling": None}))
    scores = {"pearson": 0.65, "spearman": 0.67, "r2": 0.42, "mse": 3.4, "n_test": 600}
    ensemble = make_model(tmp_path, "promoter_transformer", {**scores, "n_parameters": 4 * 501_185,
                                                                    "training": {"members": 4}})
    ridge = make_model(tmp_path, "kmer_ridge", {**scores, "n_parameters": 5461}, predictions=False, curves=False)
    html = write_promoter_report(tmp_path / "report.html", "d", summary,
                                 {"promoter_transformer": ensemble, "kmer_ridge": ridge}).read_text()
    assert "2,004,740 parameters as configured here (a seed ensemble of 4 networks, predictions averaged)" in html
    assert html.count("seed ensemble") == 1  # not said of the single ridge model


def test_parameter_notes_and_run_details_fold_into_a_details_section_below_the_scores(tmp_path, two_models):
    metrics = json.loads((two_models["transformer"] / "metrics.json").read_text())
    metrics["training"] = {"epochs_trained": 3, "weights": "best_val_loss"}
    (two_models["transformer"] / "metrics.json").write_text(json.dumps(metrics))
    html = write_report(tmp_path / "r.html", title="t", dataset="d", models=two_models,
                        model_notes={"ridge": "4,097 parameters as configured here"}).read_text()
    folded = html.split('<details class="run-details">', 1)[1].split("</details>", 1)[0]
    assert "4,097 parameters as configured here" in folded and "Run details" in folded and "epochs_<wbr>trained" in folded
    assert "transformer / chr1_map" not in folded and "transformer / chr1_map" in html  # per-map scores stay visible
    assert html.index("</details>") < html.index("<h2>Training curves</h2>")
    assert "4,097 parameters" not in html.split("<details", 1)[0]


def test_hic_maps_have_a_colour_bar_for_contacts_and_one_for_the_vae_spread():
    from regformer.chains.hic.report import map_plot

    rng = np.random.default_rng(0)
    n, offset, windows = 8, 2, 2
    size = (n - offset) * (n - offset + 1) // 2
    targets = rng.normal(size=(windows, size, 1)).astype(np.float32)
    predictions = {"akita": (targets + 0.1, None), "akita_vae": (targets - 0.1, np.abs(targets))}
    fig = map_plot({"n_bins": n, "diagonal_offset": offset}, (["chr1:0", "chr1:1"], targets, predictions), 0, "cellA")
    bars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert len(fig.axes) == windows * 5 + 2 and len(bars) == 2  # target, akita, akita_vae, its std and |error|
    assert sorted(ax.get_ylabel() for ax in bars) == ["log(obs/exp)", "std, |error|"]
    fig = map_plot({"n_bins": n, "diagonal_offset": offset}, (["chr1:0"], targets[:1], {"akita": (targets[:1], None)}),
                   0, "cellA")
    assert len([ax for ax in fig.axes if ax.get_label() == "<colorbar>"]) == 1


def test_report_reads_well_in_a_headless_browser_at_1280px(tmp_path, two_models):
    """Rendered by chromium at 1280 px (Run details unfolded): every image decodes and nothing sticks out."""
    from browser import assert_reads_well

    out = write_report(tmp_path / "r.html", title="t", dataset="d", models=two_models, noise_ceiling=CEILING,
                       model_notes={"ridge": "4,097 parameters as configured here"})
    seen = assert_reads_well(out)
    assert len(seen["images"]) == 2  # scatter and loss curves


def test_the_browser_check_sees_a_broken_image_and_a_table_wider_than_the_window(tmp_path):
    """The headless check can fail: a PNG that does not decode, and a 30-column table scrolling in its box."""
    from browser import inspect_page

    metrics = {"pearson": 0.8, **{f"pearson_distance_band_{i}_to_{i + 1}_mb": 0.123456 for i in range(30)}}
    models = {f"model_{j}": make_model(tmp_path, f"model_{j}", metrics, n=200) for j in range(2)}
    out = write_report(tmp_path / "r.html", title="t", dataset="d", models=models)
    page = re.sub(r'src="data:image/png;base64,[^"]*"( alt="loss curves")', r'src="data:image/png;base64,AAAA"\1',
                  out.read_text())
    out.write_text(page)
    seen = inspect_page(out)
    assert [img["alt"] for img in seen["images"] if img["naturalWidth"] == 0] == ["loss curves"]
    assert any(el["tag"] == "table" and el["width"] > 1280 for el in seen["wide"])
    assert seen["scrollWidth"] <= 1280  # the table scrolls in its own box: only the element check sees it


def test_scatac_qc_numbers_are_rounded_for_reading():
    from regformer.chains.scatac.report import _qc_value

    assert _qc_value(13.852813852813853) == "13.9" and _qc_value(12345) == "12,345" and _qc_value(2000.0) == "2,000"

"""The report's verdict box, metric directions, paired bootstrap and run record, on hand-made model folders."""

from __future__ import annotations

import json
from types import SimpleNamespace

import h5py
import numpy as np
import pytest

from regformer.evaluate.compare import HIGHER, LOWER, direction, paired_difference, resample_indices
from regformer.report.html import write_report
from regformer.report.record import applicable_recipe, report_context, run_record_html, stage_times
from regformer.report.tables import metrics_table
from regformer.report.verdict import pooled_pearson, verdict_box


def test_metric_directions():
    for key in ("nll", "poisson_nll", "mse", "loss", "val_loss", "mae"):
        assert direction(key) == LOWER, key
    for key in ("pearson", "spearman", "auroc", "auprc", "r2", "pearson_log1p", "window_pearson", "knn_macro_f1"):
        assert direction(key) == HIGHER, key
    for key in ("training_seconds", "removed_fraction", "n_test", "n_parameters", "epochs", "resolution"):
        assert direction(key) is None, key


def test_table_bolds_only_scores_in_their_direction():
    rows = {"kmer_ridge": {"pearson": 0.2, "poisson_nll": 0.650, "training_seconds": 3.0, "removed_fraction": 0.2},
            "enformer": {"pearson": 0.4, "poisson_nll": -1.511, "training_seconds": 90.0, "removed_fraction": 0.1}}
    html = metrics_table(rows, "model")
    assert "<b>-1.511</b>" in html and "<b>0.650</b>" not in html and "<b>0.400</b>" in html
    assert "<b>3.000</b>" not in html and "<b>90.000</b>" not in html and "<b>0.100</b>" not in html


def test_paired_bootstrap_cancels_what_the_models_share():
    rng = np.random.default_rng(0)
    measured = rng.normal(size=400)
    model = measured + rng.normal(scale=0.5, size=400)
    draws = resample_indices(400, 200, seed=0)
    same = paired_difference(pooled_pearson, model, model.copy(), measured, draws)
    assert same.value == 0 and same.se == 0 and same.share_not_better == 1.0
    worse = model + rng.normal(scale=2.0, size=400)
    diff = paired_difference(pooled_pearson, model, worse, measured, draws)
    assert diff.value == pytest.approx(pooled_pearson(model, measured) - pooled_pearson(worse, measured))
    assert 0 < diff.se < diff.value and diff.share_not_better == 0.0
    lower = paired_difference(lambda p, m: float(np.mean((p - m) ** 2)), model, worse, measured, draws, False)
    assert lower.value < 0 and lower.share_not_better == 0.0  # lower MSE is better: never "not ahead"


def _model(root, name, metrics, prediction=None, measured=None):
    directory = root / name
    directory.mkdir()
    (directory / "metrics.json").write_text(json.dumps(metrics))
    if prediction is not None:
        with h5py.File(directory / "predictions.h5", "w") as h5:
            h5["prediction"], h5["measured"], h5["rows"] = prediction, measured, np.arange(len(measured))
    return directory


@pytest.fixture
def promoter_like(tmp_path):
    rng = np.random.default_rng(1)
    measured = rng.normal(size=500)
    good, weak = measured + rng.normal(scale=0.5, size=500), measured + rng.normal(scale=1.5, size=500)
    return {"net": _model(tmp_path, "net", {"pearson": pooled_pearson(good, measured), "mse": 0.3, "n_test": 500,
                                            "recipe": {"loss": "mse", "huber_delta": 1.0, "swa": False,
                                                       "swa_lr": None, "lr": 0.001, "optimizer": "adam"},
                                            "training": {"device": "cuda:0", "devices": 4, "num_nodes": 1,
                                                         "effective_batch_size": 512}},
                          good, measured),
            "ridge": _model(tmp_path, "ridge", {"pearson": pooled_pearson(weak, measured), "mse": 1.2}, weak,
                            measured)}


def test_report_opens_with_a_verdict_against_the_baseline_with_its_se(tmp_path, promoter_like):
    chain = SimpleNamespace(baseline_model="ridge", headline_metrics=("pearson",), test_unit="sequences", models={},
                            report_libraries=("scipy",))
    with report_context(chain=chain, settings={"synthetic": {"n_sequences": 3000}}):
        html = write_report(tmp_path / "r.html", title="t", dataset="d", models=promoter_like,
                            noise_ceiling={"pearson": 0.95, "description": "x"}).read_text()
    box = html.split('id="verdict"', 1)[1].split("</section>", 1)[0]
    assert html.index('id="verdict"') < html.index("<h2>Metrics</h2>")
    assert "best is <b>net</b>" in box and " &plusmn; " in box and "against the baseline ridge" in box
    assert "paired bootstrap SE over 200 resamples of the test sequences" in box and "of the noise ceiling (0.950)" in box
    record = html.split('id="run-record"', 1)[1]
    assert "n_sequences" in record and "scipy" in record and "lightning" in record
    assert "device=cuda:0, devices=4, num_nodes=1, effective_batch_size=512" in record
    assert "optimizer=adam" in record and "huber_delta" not in record and "swa_lr" not in record


def test_verdict_says_when_the_baseline_wins():
    metrics = {"net": {"auroc": 0.6}, "open_frequency": {"auroc": 0.7}}
    box = verdict_box(metrics, ("auroc", "auprc"), "open_frequency")
    assert "the classical baseline wins" in box and "auprc" not in box
    assert "No model reports" in verdict_box(metrics, ("pearson",), "open_frequency")


def test_recipe_shows_only_the_settings_that_apply():
    recipe = {"loss": "huber", "huber_delta": 1.0, "soft_bin_sd": 0.5, "swa": True, "swa_lr": 0.01, "lr": 0.001}
    assert applicable_recipe(recipe) == {"loss": "huber", "huber_delta": 1.0, "swa": True, "swa_lr": 0.01, "lr": 0.001}
    assert applicable_recipe({**recipe, "loss": "soft_bin_kl", "swa": False}) == {
        "loss": "soft_bin_kl", "soft_bin_sd": 0.5, "swa": False, "lr": 0.001}
    assert applicable_recipe(recipe, own_loss=True)["loss"] == f"{recipe['loss']} (the network's own training_loss)"
    assert "huber_delta" not in applicable_recipe(recipe, own_loss=True)
    assert applicable_recipe(recipe, closed_form=True) == {}


def test_stage_times_come_from_the_first_and_last_stamped_log_lines(tmp_path):
    (tmp_path / "akita").mkdir()
    (tmp_path / "akita" / "train.log").write_text("2026-12-06 10:00:00,001 INFO x: start\nno stamp here\n"
                                                  "2026-12-06 10:02:05,900 INFO x: done\n")
    (tmp_path / "targets.log").write_text("2026-12-06 09:00:00,000 INFO y: only line\n")
    (tmp_path / "empty.log").write_text("")
    assert stage_times(tmp_path) == {"akita/train": 125.0, "targets": 0.0}
    html = run_record_html({"akita": {}}, logs_dir=tmp_path)
    assert "akita/train" in html and "not recorded" in html and "Not given" in html


def test_track_profiles_are_on_genome_coordinates_in_the_predictions_order(tmp_path):
    import matplotlib.pyplot as plt

    from regformer.chains.tracks import report as tracks_report

    store = tmp_path / "targets.h5"
    targets = np.arange(3 * 4 * 1, dtype=np.float32).reshape(3, 4, 1)
    with h5py.File(store, "w") as h5:
        h5["targets"] = targets
        h5["regions/chrom"] = np.array([b"chr1", b"chr2", b"chr3"])
        h5["regions/start"] = np.array([0, 1000, 5000])
    (tmp_path / "m").mkdir()
    with h5py.File(tmp_path / "m" / "predictions.h5", "w") as h5:
        h5["rows"], h5["prediction"] = np.array([2, 0]), targets[[2, 0]] + 1
    drawn = {}
    original = tracks_report.fig_to_png
    tracks_report.fig_to_png = lambda fig: drawn.setdefault("fig", fig) and b"png"
    try:
        summary = {"tracks": ["dnase"], "bin_size": 100, "crop": 2}
        tracks_report.profile_figure(store, {"m": tmp_path / "m"}, summary)
    finally:
        tracks_report.fig_to_png = original
    axes = drawn["fig"].axes
    assert axes[0].get_title() == "dnase, chr3:5,200-5,600" and axes[1].get_title() == "dnase, chr1:200-600"
    assert axes[0].get_xlabel() == "chr3 position (kb)" and "coverage" in axes[0].get_ylabel()
    measured = axes[0].collections[0].get_paths()[0].vertices[:, 1].max()
    assert measured == targets[2].max()  # window 2's own targets, though h5py read the rows sorted
    plt.close(drawn["fig"])


def test_hic_report_on_hand_made_windows_has_a_verdict_with_a_window_bootstrap(tmp_path):
    from regformer.chains.hic.report import write_hic_report

    n_bins, offset, n_windows = 6, 2, 8
    n_pixels = (n_bins - offset) * (n_bins - offset + 1) // 2
    rng = np.random.default_rng(0)
    targets = rng.normal(size=(n_windows, n_pixels, 1)).astype(np.float16)
    store = tmp_path / "targets.h5"
    summary = {"maps": ["cellA"], "n_bins": n_bins, "diagonal_offset": offset, "seq_length": 768, "bin_size": 128,
               "crop": 0}
    with h5py.File(store, "w") as h5:
        h5.attrs["summary"] = json.dumps(summary)
        h5["targets"] = targets
        h5["regions/chrom"] = np.array([b"chr4"] * n_windows)
        h5["regions/start"] = np.arange(n_windows) * 768
        h5["regions/end"] = np.arange(n_windows) * 768 + 768
    rows = np.array([0, 1, 2, 3, 5, 7])  # test windows in store order, as the workflow writes them
    models = {}
    for name, noise in (("akita", 0.3), ("distance_baseline", 3.0)):
        prediction = targets[rows].astype(np.float32) + rng.normal(scale=noise, size=(len(rows), n_pixels, 1))
        models[name] = tmp_path / name
        models[name].mkdir()
        with h5py.File(models[name] / "predictions.h5", "w") as h5:
            h5["prediction"], h5["rows"] = prediction.astype(np.float16), rows
        score = pooled_pearson(prediction, targets[rows])
        (models[name] / "metrics.json").write_text(json.dumps(
            {"pearson": score, "n_windows": len(rows),
             "per_map": {"cellA": {"pearson": score, "distance_pearson": {"2": score, "3-4": score}}}}))
    from regformer.chains.registry import load_chain

    with report_context(chain=load_chain("hic")):
        html = write_hic_report(tmp_path / "report.html", "d", store, models).read_text()
    box = html.split('id="verdict"', 1)[1].split("</section>", 1)[0]
    assert "best is <b>akita</b>" in box and "resamples of the test windows" in box
    assert html.count("<img") >= 2  # the map and distance figures rendered
    assert "cooler" in html.split('id="run-record"', 1)[1]


def test_a_nested_table_that_repeats_another_is_left_out():
    from regformer.report.tables import nested_tables

    per_track = {"dnase_a": {"pearson": 0.5}, "chip_b": {"pearson": 0.25}}
    metrics = {"m": {"per_track": per_track, "per_group": {"dnase": {"pearson": 0.5}, "chip": {"pearson": 0.25}}}}
    html = nested_tables(metrics)
    assert "m / dnase_a" in html and "m / dnase" not in html.replace("m / dnase_a", "")
    assert "per_group: the same values as per_track" in html
    metrics["m"]["per_group"]["chip"]["pearson"] = 0.3  # groups that differ from tracks stay
    assert "m / chip</td>" in nested_tables(metrics)


def test_the_tracks_verdict_scores_as_metrics_json_does():
    from regformer.chains.tracks.metrics import track_metrics
    from regformer.chains.tracks.report import mean_track_pearson

    rng = np.random.default_rng(0)
    target = rng.poisson(3.0, size=(5, 16, 3)).astype(np.float64)
    prediction = np.abs(target + rng.normal(scale=2.0, size=target.shape))
    metrics = track_metrics(prediction, target, ["a", "b", "c"], ["g", "g", "h"])
    assert mean_track_pearson(prediction, target) == pytest.approx(metrics["pearson"])
    assert mean_track_pearson(prediction, target, log1p=True) == pytest.approx(metrics["pearson_log1p"])

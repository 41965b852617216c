"""End to end: the Snakemake workflow on a small demo, from simulation to report.html and --report."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from conftest import REPO

SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))


def _snakemake(workdir, *args, check=True):
    cmd = [SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir), "--cores", "2", *args]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    return result


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """The embedded demo config, shrunk (fewer sequences and epochs), run to completion once."""
    workdir = tmp_path_factory.mktemp("demo")
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config["promoter"]["datasets"]["demo"]["synthetic"]["n_sequences"] = 800
    config["promoter"]["models"]["promoter_transformer"].update(max_epochs=2)
    config["hic"]["datasets"]["demo"]["synthetic"]["chrom_lengths"] = {"chr1": 300_000, "chr2": 150_000,
                                                                         "chr3": 120_000, "chr4": 120_000}
    for model in ("akita", "akita_transformer", "akita_vae"):
        config["hic"]["models"][model].update(max_epochs=1)
    config["tracks"]["datasets"]["demo"]["synthetic"]["chrom_lengths"] = {"chr1": 120_000, "chr2": 60_000,
                                                                            "chr3": 60_000, "chr4": 60_000}
    fine_tuning = config["tracks"]["datasets"]["demo_cage"]["models"]  # scratch and fine-tuned: the same steps
    for model, settings in [*config["tracks"]["models"].items(), *fine_tuning.items()]:
        if model != "kmer_ridge":
            settings.setdefault("train", {})["max_epochs"] = 1
    config["scatac"]["datasets"]["demo"]["synthetic"]["cells_per_type"] = 30
    config["scatac"]["models"]["atacformer"].update(max_epochs=2)
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    _snakemake(workdir, "all")
    return workdir


@pytest.mark.slow
def test_demo_runs_through_to_the_report(demo_run):
    report = (demo_run / "results/promoter/demo/report.html").read_text()
    assert "promoter_transformer" in report and "kmer_ridge" in report
    assert "noise ceiling" in report and "data:image/png;base64," in report
    for model in ("promoter_transformer", "kmer_ridge"):
        metrics = json.loads((demo_run / f"results/promoter/demo/{model}/metrics.json").read_text())
        assert {"pearson", "spearman", "r2", "mse", "n_test"} <= set(metrics) and metrics["n_test"] == 80
    assert (demo_run / "results/logs/promoter/demo/promoter_transformer/train.log").stat().st_size > 0


@pytest.mark.slow
def test_hic_demo_runs_through_to_the_report(demo_run):
    import cooler

    hic = demo_run / "results/hic/demo"
    report = (hic / "report.html").read_text()
    for model in ("akita", "akita_transformer", "akita_vae", "distance_baseline"):
        assert model in report
        strict = lambda constant: pytest.fail(f"{model}/metrics.json holds {constant}: not strict JSON")  # noqa: E731
        metrics = json.loads((hic / model / "metrics.json").read_text(), parse_constant=strict)
        assert {"mse", "pearson", "spearman", "per_map"} <= set(metrics)
        for name in ("cellA", "cellB"):
            assert {"mse", "pearson", "spearman", "insulation_pearson"} <= set(metrics["per_map"][name])
            stitched = cooler.Cooler(str(hic / model / f"predicted_{name}.cool"))
            measured = cooler.Cooler(str(hic / f"raw/{name}.mcool::resolutions/128"))
            assert stitched.binsize == 128 and dict(stitched.chromsizes) == dict(measured.chromsizes)
            assert stitched.pixels()[:]["count"].abs().sum() > 0
    vae = json.loads((hic / "akita_vae/metrics.json").read_text())["uncertainty"]
    assert 0 <= vae["latent_interval_coverage"] <= 1 and vae["latent_interval_width"] > 0 and vae["n_samples"] == 20
    assert set(vae["coverage"]) == set(vae["mean_width"]) == {"0.5", "0.8", "0.9", "0.95"}
    assert all(0 <= c <= 1 for c in vae["coverage"].values()) and vae["noise"]["fitted_on"] == "val"
    assert -1 <= vae["std_error_spearman"] <= 1
    ceiling = json.loads((hic / "noise_ceiling/metrics.json").read_text())
    assert ceiling["pearson"] > 0.3  # the noise-free maps explain the measured ones well
    assert "noise ceiling" in report and "Target vs predicted maps: cellB" in report and "akita_vae std" in report
    assert "Reliability" in report and "akita_vae |error|" in report


@pytest.mark.slow
def test_tracks_demo_runs_through_to_the_report(demo_run):
    import pyBigWig

    tracks = demo_run / "results/tracks/demo"
    report = (tracks / "report.html").read_text()
    models = ("enformer", "swin1d", "maxpool_cnn", "attpool_cnn", "attpool_dilated_cnn", "kmer_ridge")
    for model in models:
        assert model in report
        strict = lambda constant: pytest.fail(f"{model}/metrics.json holds {constant}: not strict JSON")  # noqa: E731
        metrics = json.loads((tracks / model / "metrics.json").read_text(), parse_constant=strict)
        assert {"pearson", "pearson_log1p", "mse", "poisson_nll", "per_group", "per_track"} <= set(metrics)
        assert set(metrics["per_track"]) == {"dnase", "chip", "cage"}
        for track in ("dnase", "chip", "cage"):
            predicted = pyBigWig.open(str(tracks / model / f"predicted_{track}.bw"))
            measured = pyBigWig.open(str(tracks / f"raw/{track}.bw"))
            assert predicted.chroms() == measured.chroms() and predicted.header()["nBasesCovered"] > 0
    ceiling = json.loads((tracks / "noise_ceiling/metrics.json").read_text())
    assert ceiling["pearson"] > 0.8  # the noise-free tracks explain the measured ones
    assert "Attention maps: swin1d" in report and "Attention maps: enformer" in report and "noise ceiling" in report


@pytest.mark.slow
def test_tracks_demo_fine_tunes_a_new_head_on_a_pretrained_trunk(demo_run):
    """demo_two's enformer (DNase + ChIP) gives demo_cage's enformer_finetuned its trunk, frozen: the trunk's
    tensors are those of the pretrained model, the head is new (one CAGE track), and the report sets it beside
    enformer from scratch at the same optimizer steps."""
    from regformer.models.saved import read_saved

    cage = demo_run / "results/tracks/demo_cage"
    pretrained = read_saved(demo_run / "results/tracks/demo_two/enformer/model.pt")
    tuned = read_saved(cage / "enformer_finetuned/model.pt")
    assert tuned["name"] == "enformer" and tuned["entry"] == "enformer_finetuned"
    trunk = [k for k in pretrained["model"] if not k.startswith("heads.")]
    assert trunk and all(torch.equal(tuned["model"][k], pretrained["model"][k]) for k in trunk)
    assert pretrained["model"]["heads.tracks.weight"].shape[0] == 2 and tuned["model"]["heads.tracks.weight"].shape[0] == 1
    metrics = {m: json.loads((cage / m / "metrics.json").read_text()) for m in ("enformer", "enformer_finetuned")}
    training = metrics["enformer_finetuned"]["training"]
    assert metrics["enformer_finetuned"]["model"] == "enformer" and training["frozen"] == "trunk"
    assert training["started_from"]["weights"] == "results/tracks/demo_two/enformer/model.pt"
    assert training["optimizer_steps"] == metrics["enformer"]["training"]["optimizer_steps"] > 0
    report = (cage / "report.html").read_text()
    assert "Starting weights: fine-tuned vs from scratch" in report and "kmer_ridge" in report
    assert f"enformer from scratch {metrics['enformer']['pearson']:.3f} in {training['optimizer_steps']}" in report


@pytest.mark.slow
def test_scatac_demo_runs_through_to_the_report(demo_run):
    import scanpy as sc

    scatac = demo_run / "results/scatac/demo"
    report = (scatac / "report.html").read_text()
    assert "atacformer" in report and "open_frequency" in report and "Cell embeddings" in report
    assert report.count("data:image/png;base64,") >= 4  # curves, ROC, UMAPs, QC
    cells = sc.read_h5ad(scatac / "cells.h5ad")
    assert cells.n_obs == 90 and {"X_atacformer", "X_spectral", "X_umap_spectral"} <= set(cells.obsm)
    assert {"n_fragment", "tsse", "label", "split"} <= set(cells.obs)
    for model in ("atacformer", "open_frequency"):
        metrics = json.loads((scatac / model / "metrics.json").read_text())
        assert 0 < metrics["auroc"] < 1 and metrics["n_cells"] == 14 and metrics["n_removed"] > 0
    assert metrics["auroc"] > 0.6  # open_frequency: peaks are open in more cells than background tiles
    clustering = json.loads((scatac / "clustering.json").read_text())["embeddings"]
    assert clustering["spectral"]["ari"] > 0.8  # the three synthetic types are well separated by SnapATAC2
    assert {"ari", "nmi", "knn_accuracy", "knn_macro_f1"} <= set(clustering["atacformer"])


@pytest.mark.slow
@pytest.mark.parametrize("chain", ["promoter", "hic", "tracks", "scatac"])
def test_every_report_reads_well_in_a_headless_browser(demo_run, chain):
    """Each chain's report.html in chromium at 1280 px: it renders, every image decodes, nothing overflows."""
    from browser import assert_reads_well

    seen = assert_reads_well(demo_run / f"results/{chain}/demo/report.html")
    assert len(seen["images"]) >= 2


@pytest.mark.slow
def test_snakemake_report_and_nothing_left_to_do(demo_run):
    _snakemake(demo_run, "--report", str(demo_run / "report.html"))
    text = (demo_run / "report.html").read_text()
    assert "Models of the" in text and all(chain in text for chain in ("promoter", "hic", "tracks", "scatac"))  # captioned
    dry = _snakemake(demo_run, "all", "--dry-run")
    assert "Nothing to be done" in dry.stdout + dry.stderr


@pytest.mark.slow
def test_rerunning_one_target_reruns_only_that_target(demo_run):
    target = "results/promoter/demo/kmer_ridge/metrics.json"
    out = _snakemake(demo_run, target, "--forcerun", "evaluate_model", "--dry-run")
    text = out.stdout + out.stderr
    assert "evaluate_model" in text and "train_model" not in text


def test_bad_config_stops_before_any_job(tmp_path):
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config["promoter"]["models"]["promoter_transformer"]["max_epoch"] = 3
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    result = _snakemake(tmp_path, "all", "--dry-run", check=False)
    assert result.returncode != 0
    assert "max_epoch" in result.stdout + result.stderr
    assert not (tmp_path / "results").exists()


def test_bad_input_file_fails_its_rule_with_a_clear_message(tmp_path):
    shutil.copy(REPO / "tests/data/promoter/dream2022_yeast_demo_train.txt", tmp_path / "lib.txt")
    with open(tmp_path / "lib.txt", "a") as fh:
        fh.write("\nACGTZ\t3\n")
    config = {"promoter": {"datasets": {"bad": {"path": "lib.txt"}}, "models": {"kmer_ridge": {}}}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    result = _snakemake(tmp_path, "results/promoter/bad/prepared/summary.json", check=False)
    assert result.returncode != 0
    log = (tmp_path / "results/logs/promoter/bad/prepare.log").read_text()
    assert "lib.txt: line 6371: sequence has character 'Z'" in log
    assert not (tmp_path / "results/promoter/bad/prepared").exists() or not any((tmp_path / "results/promoter/bad/prepared").iterdir())


def test_url_dataset_is_fetched_verified_and_prepared(tmp_path):
    import hashlib

    source = REPO / "tests/data/promoter/dream2022_yeast_demo_train.txt"
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    datasets = {"good": {"url": source.as_uri(), "sha256": digest}, "tampered": {"url": source.as_uri(), "sha256": "0" * 64}}
    config = {"promoter": {"datasets": datasets, "models": {"kmer_ridge": {}}}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    _snakemake(tmp_path, "results/promoter/good/prepared/summary.json")
    fetched = tmp_path / "results/downloads/promoter/good/dream2022_yeast_demo_train.txt"
    assert fetched.read_bytes() == source.read_bytes()
    assert json.loads((tmp_path / "results/promoter/good/prepared/summary.json").read_text())["n_records"] == 6370
    result = _snakemake(tmp_path, "results/promoter/tampered/prepared/summary.json", check=False)
    assert result.returncode != 0
    assert not (tmp_path / "results/downloads/promoter/tampered/dream2022_yeast_demo_train.txt").exists()
    assert digest in (tmp_path / "results/logs/promoter/tampered/fetch_dream2022_yeast_demo_train.txt.log").read_text()


@pytest.mark.parametrize("accelerator, expected, absent", [
    ("gpu", ["slurm_partition=gpu", "gpu=4", "gpu_model=a100", "cpus_per_gpu=8", "cpus_per_task=8", "nodes=2",
      "mpi=srun", "tasks=4"], ["cpus_per_task=2"]),
    # the shipped default: a cluster run sends training to the GPUs of `cluster:` (the job falls back to the CPU)
    ("auto", ["slurm_partition=gpu", "gpu=4", "gpu_model=a100", "cpus_per_gpu=8", "cpus_per_task=8", "nodes=2",
      "mpi=srun", "tasks=4"], ["cpus_per_task=2"]),
    ("cpu", ["slurm_partition=cpu", "cpus_per_task=2"], ["gpu_model", "gpu="]),
    ("tpu", ["slurm_partition=tpu-v4"], ["gpu_model", "gpu="]),
])
def test_accelerator_switch_sets_the_slurm_request(tmp_path, accelerator, expected, absent):
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config["trainer"]["accelerator"] = accelerator
    config["cluster"].update(gpus=2, nodes=2, tpu_partition="tpu-v4")
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    out = _snakemake(tmp_path, "results/promoter/demo/kmer_ridge/model.pt", "--dry-run")
    text = out.stdout + out.stderr
    train_job = text[text.index("rule train_model"):]
    resources = next(line for line in train_job.splitlines() if "resources:" in line)
    for item in expected:
        assert item in resources, resources
    for item in absent:
        assert item not in resources, resources


def test_config_without_a_chain_stops_naming_the_chains(tmp_path):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"seed": 1}))
    result = _snakemake(tmp_path, "all", "--dry-run", check=False)
    assert result.returncode != 0
    assert "no chain section: add one of promoter, hic" in result.stdout + result.stderr

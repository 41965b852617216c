"""The tracks chain on the shared stages: metrics by hand, predicted bigWigs read back with pyBigWig, the k-mer
baseline's bin contexts, the store deciding the geometry, and a baseline trained and scored end to end on a
small synthetic store (real FASTA / bigWig / HDF5 files)."""

from __future__ import annotations

import h5py
import numpy as np
import pyBigWig
import pytest
from scipy import stats

from regformer.chain_interface import Predictions
from regformer.chains.tracks.chain import TracksChain
from regformer.chains.tracks.export import write_predicted_bigwig
from regformer.chains.tracks.metrics import track_metrics
from regformer.chains.tracks.regions import define_track_regions
from regformer.chains.tracks.specs import MODELS
from regformer.chains.tracks.synthetic import simulate_tracks
from regformer.chains.tracks.targets import build_track_targets
from regformer.data.splits import split_rows
from regformer.errors import InputError
from regformer.evaluate.runner import evaluate_model, write_window_predictions
from regformer.models.kmer_ridge import kmer_counts
from regformer.models.tracks.kmer_ridge import TrackKmerRidge
from regformer.train.runner import train_model

TRACKS = ("dnase", "chip", "cage")
SEQ, BIN, CROP = 2048, 128, 2  # 16 bins, 12 predicted


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("tracks_chain")
    bws = {t: str(root / f"{t}.bw") for t in TRACKS}
    nfs = {t: str(root / f"{t}.nf.bw") for t in TRACKS}
    simulate_tracks(root / "genome.fa", bws, nfs, root / "targets.tsv", seed=4,
                    chrom_lengths={"chr1": 150_000, "chr2": 60_000, "chr3": 60_000})
    define_track_regions(root / "genome.fa", list(bws.values()), root / "regions.tsv", bin_size=BIN, seq_length=SEQ,
                         train_stride=1024, eval_stride=SEQ, valid_chroms=["chr2"], test_chroms=["chr3"])
    build_track_targets(root / "targets.tsv", root / "regions.tsv", root / "targets.h5", fasta=root / "genome.fa",
                        bin_size=BIN, crop=CROP)
    return root / "targets.h5"


def test_track_metrics_by_hand():
    rng = np.random.default_rng(0)
    target = rng.poisson(3.0, (4, 6, 3)).astype(float)
    prediction = target + rng.normal(0, 1, target.shape) ** 2
    metrics = track_metrics(prediction, target, ["a", "b", "c"], ["dnase", "dnase", "cage"])
    r = [stats.pearsonr(prediction[..., k].ravel(), target[..., k].ravel()).statistic for k in range(3)]
    assert metrics["per_track"]["b"]["pearson"] == pytest.approx(r[1])
    assert metrics["per_group"]["dnase"]["pearson"] == pytest.approx((r[0] + r[1]) / 2)
    assert metrics["pearson"] == pytest.approx(np.mean(r))
    nll = np.mean(prediction[..., 2] - target[..., 2] * np.log(prediction[..., 2] + 1e-8))
    assert metrics["per_track"]["c"]["poisson_nll"] == pytest.approx(nll)
    assert metrics["n_test"] == 24 and metrics["n_windows"] == 4
    with pytest.raises(ValueError, match="tracks"):
        track_metrics(prediction, target, ["a", "b"], ["x", "y"])


def test_kmer_ridge_counts_each_bin_with_its_flanks():
    codes = np.full((1, 4 * 8), 3, dtype=np.uint8)  # T everywhere, 4 bins of 8 bp
    codes[0, 8:16] = 0  # bin 1 is all A
    model = TrackKmerRidge(seq_length=32, bin_size=8, crop=1, n_tracks=1, k_max=1, flank_bins=1)
    counts = model.features(codes).toarray()  # rows: bins 1 and 2, each with one bin either side
    np.testing.assert_array_equal(counts[:, 0], [8, 8])  # A's: bin 1 itself, and bin 1 as bin 2's flank
    np.testing.assert_array_equal(counts[:, 3], [16, 16])  # T's
    np.testing.assert_array_equal(counts, kmer_counts(np.stack([codes[0, 0:24], codes[0, 8:32]]), 1).toarray())


def test_the_store_sets_geometry_and_one_output_head(store):
    chain, spec = TracksChain(), MODELS["enformer"]
    arch = chain.arch_for_store(spec, dict(spec.full), {}, store)
    assert (arch["seq_length"], arch["bin_size"], arch["crop"], arch["n_tracks"]) == (SEQ, BIN, CROP, 3)
    assert arch["output_heads"] is None  # the paper's human + mouse heads become one head of the dataset's tracks
    with pytest.raises(InputError, match="crop is 5 but the targets were built with 2"):
        chain.arch_for_store(spec, dict(spec.demo), {"crop": 5}, store)


def test_predicted_bigwig_holds_the_window_predictions(store, tmp_path):
    rows = split_rows(store, "test")
    with h5py.File(store) as h5:
        target = h5["targets"][rows].astype(np.float32)
        chrom, start = h5["regions/chrom"][rows[0]].decode(), int(h5["regions/start"][rows[0]])
    prediction = np.arange(target.size, dtype=np.float32).reshape(target.shape)
    write_window_predictions(tmp_path / "p.h5", store, Predictions(rows=rows, prediction=prediction, target=target))
    write_predicted_bigwig(store, tmp_path / "p.h5", "chip", tmp_path / "chip.bw")
    bw = pyBigWig.open(str(tmp_path / "chip.bw"))
    measured = pyBigWig.open(str(store.parent / "chip.bw"))
    assert bw.chroms() == measured.chroms()
    first = start + CROP * BIN
    assert bw.values(chrom, first, first + 3 * BIN)[::BIN] == pytest.approx(prediction[0, :3, 1].tolist())
    with pytest.raises(InputError, match="no track 'atac'"):
        write_predicted_bigwig(store, tmp_path / "p.h5", "atac", tmp_path / "atac.bw")


def test_kmer_ridge_trains_and_scores_through_the_shared_stages(store, tmp_path):
    chain = TracksChain()
    out = tmp_path / "kmer_ridge" / "model.pt"
    summary = train_model(chain, "kmer_ridge", {}, store, out)
    metrics = evaluate_model(chain, store, out, tmp_path / "metrics.json", tmp_path / "predictions.h5")
    assert summary["n_train_windows"] > 50 and metrics["training"]["alpha"] in (1.0, 10.0, 100.0, 1000.0)
    assert set(metrics["per_track"]) == set(TRACKS) and set(metrics["per_group"]) == {"dnase", "chip", "cage"}
    assert metrics["per_track"]["dnase"]["pearson"] > 0.15  # accessibility follows local motifs: k-mers see them
    with h5py.File(tmp_path / "predictions.h5") as h5:
        assert h5["prediction"].shape == (len(split_rows(store, "test")), 12, 3) and (h5["prediction"][:] >= 0).all()


def test_huber_loss_trains_a_track_network(store, tmp_path):
    """loss: huber resolves and trains for tracks (it needed huber_delta, a KeyError mid-job before issue 26)."""
    entry = {"size": "demo", "train": {"loss": "huber", "max_epochs": 1, "batch_size": 16}}
    cpu = {"accelerator": "cpu", "devices": 1, "progress_bar": False}
    summary = train_model(TracksChain(), "maxpool_cnn", entry, store, tmp_path / "maxpool_cnn" / "model.pt",
                          trainer_cfg=cpu)
    assert summary["epochs_trained"] == 1 and np.isfinite(summary["best_val_loss"])

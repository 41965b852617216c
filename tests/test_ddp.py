"""DDP with two CPU processes (gloo), one network per chain at demo size, through `regformer train` as a user runs
it: the job completes, writes one model.pt (rank 0 alone), and the validation scores it recorded are those of a
single-process evaluation of the saved model on the whole validation set (synchronised over the ranks, each
sequence counted once)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import lightning as L
import numpy as np
import pandas as pd
import pyfaidx
import pytest
import torch

from regformer.chains.registry import load_chain
from regformer.models.saved import load_trained
from regformer.train.module import SupervisedTask
from regformer.train.runner import recipe_loss

REGFORMER = str(Path(sys.executable).with_name("regformer"))
DDP = {"accelerator": "cpu", "devices": 2, "strategy": "ddp", "progress_bar": False, "log_every_n_steps": 1}


def _train_ddp(chain: str, store: Path, model: str, config: dict, out: Path) -> subprocess.CompletedProcess:
    cmd = [REGFORMER, "train", chain, "--store", str(store), "--model", model, "--output", str(out),
           "--model-config", json.dumps(config), "--trainer", json.dumps(DDP), "--gpus", "2", "--threads", "1",
           "--log", str(out.parent / "train.log")]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-3000:])
    return result


def _single_process_validation(chain_name: str, store: Path, model_path: Path) -> dict:
    """val_loss and the chain's validation metrics of the saved model, one process, the whole validation set."""
    chain = load_chain(chain_name)
    saved, model = load_trained(model_path, chain.models)
    training = saved["training"]
    loss_fn = getattr(model, "training_loss", None) or recipe_loss(training, None)
    task = SupervisedTask(model, loss_fn=loss_fn, metrics=chain.validation_metrics())
    datamodule = chain.datamodule(store, training, num_workers=0)
    trainer = L.Trainer(accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False)
    return {k: float(v) for k, v in trainer.validate(task, datamodule=datamodule, verbose=False)[0].items()}


def _check_run(chain: str, store: Path, out: Path, result: subprocess.CompletedProcess) -> None:
    assert out.is_file() and not out.with_name(out.name + ".tmp").exists()
    assert sorted(p.name for p in out.parent.glob("model.pt*")) == ["model.pt"]
    saved = torch.load(out, weights_only=True)
    summary = saved["summary"]
    assert (summary["device"], summary["devices"], summary["num_nodes"], summary["lr_scaled"]) == ("cpu", 2, 1, False)
    assert summary["effective_batch_size"] == 2 * saved["training"]["batch_size"]
    log = (out.parent / "train.log").read_text()
    assert "effective batch size" in log and "not scaled" in log
    assert "exists and is not empty" not in result.stderr + log
    assert "sync_dist" not in result.stderr + log  # Lightning's warning about unsynchronised epoch values
    # the best epoch's recorded validation scores = one process scoring the saved (best) weights on all of val
    curves = pd.read_csv(out.parent / "train" / "metrics.csv").dropna(subset=["val_loss"])
    best = curves.loc[curves["val_loss"].idxmin()]
    assert summary["best_val_loss"] == pytest.approx(best["val_loss"], rel=1e-6)
    single = _single_process_validation(chain, store, out)
    for name, value in single.items():
        assert best[name] == pytest.approx(value, rel=1e-4, abs=1e-5), name


def test_promoter_transformer_on_two_cpu_processes(synthetic_store, tmp_path):
    out = tmp_path / "promoter_transformer" / "model.pt"
    config = dict(stem_filters=8, conv_channels=16, n_residual=1, d_model=16, n_heads=2, n_transformer=1, ff_dim=32,
                  lstm_hidden=8, dense_hidden=16, batch_size=64, max_epochs=2, patience=50)
    result = _train_ddp("promoter", synthetic_store, "promoter_transformer", config, out)
    _check_run("promoter", synthetic_store, out, result)


@pytest.fixture(scope="module")
def hic_store(tmp_path_factory) -> Path:
    """Targets from the real yeast 2 kb cooler over a generated FASTA with its chromosome names: three training,
    three validation windows (an odd number: the ranks' shares differ in size) and one test window."""
    from regformer.chains.hic.targets import build_targets

    folder = tmp_path_factory.mktemp("hic_ddp")
    rng = np.random.default_rng(0)
    fasta = folder / "genome.fa"
    with open(fasta, "w") as out:
        for chrom, length in {"chr4": 1_526_000, "chr12": 1_072_000}.items():
            seq = "".join(rng.choice(list("ACGT"), length))
            out.write(f">{chrom}\n" + "\n".join(seq[i:i + 60] for i in range(0, length, 60)) + "\n")
    pyfaidx.Faidx(str(fasta))
    window = 256_000  # 128 bins of 2 kb
    starts = [("chr4", 0), ("chr4", 300_000), ("chr4", 600_000), ("chr4", 900_000), ("chr12", 0), ("chr12", 300_000),
              ("chr12", 600_000)]
    cool = str(Path(__file__).parent / "data" / "hic" / "yeast_W303_G1_2kb_SRR8769554.cool")
    build_targets({"yeast": cool}, [(c, s, s + window) for c, s in starts], folder / "targets.h5", bin_size=2000,
                  crop=8, splits=["train", "train", "train", "val", "val", "val", "test"], fasta=str(fasta))
    return folder / "targets.h5"


def test_akita_on_two_cpu_processes(hic_store, tmp_path):
    out = tmp_path / "akita" / "model.pt"
    config = {"size": "demo", "optimizer": "adam", "lr": 0.01, "max_epochs": 2, "patience": 5, "batch_size": 1}
    result = _train_ddp("hic", hic_store, "akita", config, out)
    _check_run("hic", hic_store, out, result)


@pytest.fixture(scope="module")
def tracks_store(tmp_path_factory) -> Path:
    from regformer.chains.tracks.regions import define_track_regions
    from regformer.chains.tracks.synthetic import simulate_tracks
    from regformer.chains.tracks.targets import build_track_targets

    root = tmp_path_factory.mktemp("tracks_ddp")
    bws = {t: str(root / f"{t}.bw") for t in ("dnase", "chip", "cage")}
    nfs = {t: str(root / f"{t}.nf.bw") for t in bws}
    simulate_tracks(root / "genome.fa", bws, nfs, root / "targets.tsv", seed=4,
                    chrom_lengths={"chr1": 150_000, "chr2": 60_000, "chr3": 60_000})
    define_track_regions(root / "genome.fa", list(bws.values()), root / "regions.tsv", bin_size=128, seq_length=8192,
                         train_stride=4096, eval_stride=8192, valid_chroms=["chr2"], test_chroms=["chr3"])
    build_track_targets(root / "targets.tsv", root / "regions.tsv", root / "targets.h5", fasta=root / "genome.fa",
                        bin_size=128, crop=8)
    return root / "targets.h5"


def test_track_cnn_on_two_cpu_processes(tracks_store, tmp_path):
    out = tmp_path / "maxpool_cnn" / "model.pt"
    config = {"size": "demo", "max_epochs": 2, "lr": 0.001, "batch_size": 4}
    result = _train_ddp("tracks", tracks_store, "maxpool_cnn", config, out)
    _check_run("tracks", tracks_store, out, result)


@pytest.fixture(scope="module")
def scatac_store(tmp_path_factory) -> Path:
    from regformer.chains.scatac.qc import import_and_qc
    from regformer.chains.scatac.sentences import build_sentence_store
    from regformer.chains.scatac.synthetic import simulate_scatac

    root = tmp_path_factory.mktemp("scatac_ddp")
    raw = [root / name for name in ("f.tsv.gz", "sizes.tsv", "labels.tsv", "genes.gtf")]
    simulate_scatac(*raw, chrom_lengths={"chr1": 1_000_000, "chr2": 1_000_000}, cells_per_type=12, shared_peaks=30,
                    type_peaks=20, mean_fragments=300, frip=0.8)
    import_and_qc(raw[0], root / "cells_qc.h5ad", root / "qc.json", root / "qc.png", raw[1],
                  {"min_fragments": 50, "n_comps": 5, "gene_annotation": raw[3]})
    build_sentence_store(root / "cells_qc.h5ad", root / "store.h5", split={"train": 0.6, "val": 0.2, "test": 0.2})
    return root / "store.h5"


def test_atacformer_on_two_cpu_processes(scatac_store, tmp_path):
    out = tmp_path / "atacformer" / "model.pt"
    config = {"size": "demo", "max_epochs": 2, "batch_size": 8, "d_model": 16, "n_layers": 1, "n_heads": 2,
              "ff_dim": 32}
    result = _train_ddp("scatac", scatac_store, "atacformer", config, out)
    _check_run("scatac", scatac_store, out, result)


def test_closed_form_model_is_left_to_rank_zero(synthetic_store, tmp_path):
    """A closed-form model started as rank 1 (an srun task of a multi-GPU job) returns at once and writes nothing."""
    import os

    out = tmp_path / "kmer_ridge" / "model.pt"
    cmd = [REGFORMER, "train", "promoter", "--store", str(synthetic_store), "--model", "kmer_ridge", "--output",
           str(out), "--log", str(tmp_path / "train.log")]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env={**os.environ, "SLURM_PROCID": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert not out.exists() and not (out.parent / "train.lock").exists()
    assert "fitted in closed form by rank 0 alone" in (tmp_path / "train.log.rank1").read_text()

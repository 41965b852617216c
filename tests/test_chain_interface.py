"""The Chain interface: a new chain is a package of its own; the shared train / evaluate stages and the registry
serve it without changes. A toy chain (count the A's of 24-bp sequences) goes through both stages here."""

from __future__ import annotations

import json

import h5py
import lightning as L
import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from regformer.chains.base import ChainBase
from regformer.chains.registry import CHAINS, all_specs, chain_models, load_chain
from regformer.cli import main
from regformer.data.encoding import one_hot
from regformer.data.splits import SPLITS, split_rows, write_split_index
from regformer.evaluate.metrics import regression_metrics
from regformer.evaluate.runner import evaluate_model
from regformer.models.registry import CLOSED_FORM, TORCH, ModelSpec
from regformer.train.runner import train_model

LENGTH = 24


class CountA(nn.Module):
    def __init__(self, width: int = 4):
        super().__init__()
        self.conv = nn.Conv1d(4, width, 1)
        self.out = nn.Linear(width, 1)

    def forward(self, x):
        return self.out(torch.relu(self.conv(x)).mean(-1)).squeeze(-1) * LENGTH


class MeanOfTrain:
    """A closed-form model outside torch: predicts the training mean."""

    n_parameters = 1

    def fit(self, y):
        self.mean = float(np.mean(y))

    def predict(self, codes):
        return np.full(len(codes), self.mean, dtype=np.float32)


class Rows(Dataset):
    def __init__(self, store, split):
        with h5py.File(store) as h5:
            self.rows = h5[f"index/{split}"][:]
            self.codes, self.y = h5["codes"][:][self.rows], h5["y"][:][self.rows]

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        return {"codes": torch.from_numpy(self.codes[i]), "y": torch.tensor(self.y[i])}


class CountModule(L.LightningDataModule):
    def __init__(self, store, batch_size):
        super().__init__()
        self.store, self.batch_size = store, batch_size

    def train_dataloader(self):
        return DataLoader(Rows(self.store, "train"), batch_size=self.batch_size, shuffle=True)

    def val_dataloader(self):
        return DataLoader(Rows(self.store, "val"), batch_size=self.batch_size)

    def test_dataloader(self):
        return DataLoader(Rows(self.store, "test"), batch_size=self.batch_size)

    def on_after_batch_transfer(self, batch, dataloader_idx):
        return {"x": one_hot(batch["codes"]), "y": batch["y"]}


class ToyChain(ChainBase):
    name, title, eval_batch_size = "toy", "A counters", 64
    models = {
        "count_a": ModelSpec(name="count_a", chain="toy", kind=TORCH, build=CountA, full={"width": 8}, demo={"width": 4},
                             training=dict(max_epochs=3, batch_size=32, lr=0.05, weight_decay=0.0, optimizer="adam",
                                           patience=5, swa=False)),
        "mean": ModelSpec(name="mean", chain="toy", kind=CLOSED_FORM, build=MeanOfTrain, full={}, demo={}),
    }

    def datamodule(self, store_path, training, num_workers=0):
        return CountModule(store_path, training["batch_size"])

    def fit_closed_form(self, model, store_path, training, seed):
        with h5py.File(store_path) as h5:
            model.fit(h5["y"][:][h5["index/train"][:]])
        return {"mean": model.mean}

    def score(self, store_path, predictions, settings):
        return regression_metrics(predictions.target, predictions.prediction)


@pytest.fixture(scope="module")
def toy_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("toy") / "store.h5"
    codes = np.random.default_rng(0).integers(0, 4, (400, LENGTH), dtype=np.uint8)
    with h5py.File(path, "w") as h5:
        h5["codes"], h5["y"] = codes, (codes == 0).sum(1).astype(np.float32)
        write_split_index(h5, np.array(["train"] * 300 + ["val"] * 50 + ["test"] * 50))
        h5.attrs["summary"] = json.dumps({"n": 400})
    return path


def test_a_new_chain_trains_and_evaluates_through_the_shared_stages(toy_store, tmp_path):
    chain = ToyChain()
    cpu = {"accelerator": "cpu", "progress_bar": False}
    summary = train_model(chain, "count_a", {"max_epochs": 3}, toy_store, tmp_path / "count_a" / "model.pt",
                          trainer_cfg=cpu)
    assert summary["epochs_trained"] == 3
    metrics = evaluate_model(chain, toy_store, tmp_path / "count_a" / "model.pt", tmp_path / "count_a" / "metrics.json",
                             tmp_path / "count_a" / "predictions.h5")
    assert metrics["n_test"] == 50 and metrics["pearson"] > 0.9  # counting A's is linear in the one-hot input
    assert metrics["training"]["epochs_trained"] == 3 and metrics["model"] == "count_a"
    with h5py.File(tmp_path / "count_a" / "predictions.h5") as h5:
        assert np.array_equal(h5["rows"][:], split_rows(toy_store, "test")) and h5["prediction"].shape == (50,)
    train_model(chain, "mean", None, toy_store, tmp_path / "mean" / "model.pt")
    baseline = evaluate_model(chain, toy_store, tmp_path / "mean" / "model.pt", tmp_path / "mean" / "metrics.json",
                              tmp_path / "mean" / "predictions.h5")
    assert baseline["pearson"] is None or np.isnan(baseline["pearson"])  # a constant prediction
    assert json.loads((tmp_path / "mean" / "metrics.json").read_text())["pearson"] is None  # strict JSON


def test_the_registry_lists_each_chain_once_with_its_models():
    assert CHAINS == ("promoter", "hic", "tracks", "scatac") and SPLITS == ("train", "val", "test")
    for name in CHAINS:
        chain = load_chain(name)
        assert chain.name == name and chain.models is chain_models(name)
        assert all(spec.chain == name and spec.name == model for model, spec in chain.models.items())
    assert len(all_specs()) == sum(len(chain_models(name)) for name in CHAINS)
    with pytest.raises(SystemExit):
        main(["train", "methylation", "--store", "s.h5", "--model", "m", "--output", "o", "--log", "l"])


def test_the_workflow_reads_the_registry_without_torch():
    import subprocess
    import sys

    code = "import sys, regformer.chains.registry as r; r.all_specs(); print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"

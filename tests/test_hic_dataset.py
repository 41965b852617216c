"""The Hi-C sequence dataset (pyfaidx on the fly, shift and reverse-complement augmentation) and the distance
baseline, on targets built from the real yeast 2 kb cooler and a generated FASTA with its chromosome names."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pyfaidx
import pytest
import torch

from regformer.data.encoding import encode_fixed_length
from regformer.chains.hic.chain import HicChain
from regformer.chains.hic.dataset import HicDataModule, HicWindows
from regformer.chains.hic.targets import build_targets
from regformer.data.contact_maps import flip_permutation, triu_to_matrix
from regformer.errors import InputError
from regformer.io.fasta import fetch_codes
from regformer.train.runner import train_model

COOL = str(Path(__file__).parent / "data" / "hic" / "yeast_W303_G1_2kb_SRR8769554.cool")
LENGTHS = {"chr4": 1_526_000, "chr12": 1_072_000}
WINDOW, CROP = 256_000, 8  # 128 bins of 2 kb -> 112 after cropping


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hic_dataset")
    rng = np.random.default_rng(0)
    fasta = folder / "genome.fa"
    with open(fasta, "w") as out:
        for chrom, length in LENGTHS.items():
            seq = "".join(rng.choice(list("ACGT"), length))
            seq = seq[:1000] + "N" * 500 + seq[1500:]  # an N run inside the first window
            out.write(f">{chrom}\n" + "\n".join(seq[i:i + 60] for i in range(0, length, 60)) + "\n")
    pyfaidx.Faidx(str(fasta))
    regions = [("chr4", 0, WINDOW), ("chr4", 400_000, 400_000 + WINDOW), ("chr12", 200_000, 200_000 + WINDOW),
               ("chr12", 600_000, 600_000 + WINDOW)]
    path = folder / "targets.h5"
    build_targets({"yeast": COOL}, regions, path, bin_size=2000, crop=CROP, splits=["train", "train", "val", "test"],
                  fasta=str(fasta))
    return path


def _forward_codes(store: Path, row: int, shift: int = 0) -> np.ndarray:
    with h5py.File(store, "r") as h5:
        chrom = h5["regions/sequence_chrom"][row].decode()
        start, end = int(h5["regions/start"][row]), int(h5["regions/end"][row])
    fasta = pyfaidx.Fasta(str(store.parent / "genome.fa"), as_raw=True)
    return fetch_codes(fasta, chrom, start + shift, end + shift)


def test_flip_permutation_flips_the_map_on_both_axes():
    n, offset = 20, 2
    rng = np.random.default_rng(1)
    sym = rng.normal(size=(n, n))
    sym = sym + sym.T
    vec = sym[np.triu_indices(n, offset)]
    flipped = triu_to_matrix(vec[flip_permutation(n, offset)], n, offset)
    expected = triu_to_matrix(vec, n, offset)[::-1, ::-1]
    np.testing.assert_array_equal(np.isnan(flipped), np.isnan(expected))
    np.testing.assert_allclose(flipped[~np.isnan(flipped)], expected[~np.isnan(expected)])


def test_fetch_codes_pads_off_the_chromosome_and_keeps_n(store):
    fasta = pyfaidx.Fasta(str(store.parent / "genome.fa"), as_raw=True)
    codes = fetch_codes(fasta, "chr4", -5, 1005)
    assert (codes[:5] == 4).all() and (codes[1005:] == 4).all()  # off the start; N run starts at 1000
    assert (codes[5:1005] < 4).all()
    tail = fetch_codes(fasta, "chr4", LENGTHS["chr4"] - 3, LENGTHS["chr4"] + 4)
    assert (tail[3:] == 4).all() and (tail[:3] < 4).all()
    text = fasta["chr12"][100:160]
    np.testing.assert_array_equal(fetch_codes(fasta, "chr12", 100, 160), encode_fixed_length([text], 60)[0])


def test_items_match_fasta_and_store_without_augmentation(store):
    data = HicWindows(store, "train")
    assert len(data) == 2
    item = data[1]
    assert item["codes"].dtype == torch.uint8 and item["codes"].shape == (WINDOW,)
    np.testing.assert_array_equal(item["codes"].numpy(), _forward_codes(store, 1))
    with h5py.File(store, "r") as h5:
        np.testing.assert_array_equal(item["y"].numpy(), h5["targets"][1].astype(np.float32))
    assert len(HicWindows(store, "val")) == len(HicWindows(store, "test")) == 1


def test_reverse_complement_flips_targets_and_shift_moves_the_sequence(store):
    torch.manual_seed(0)
    data = HicWindows(store, "train", rc_augment=True, shift_max=11)
    forward_target = data.__class__(store, "train")[0]["y"].numpy()
    seen = set()
    for _ in range(30):
        item = data[0]
        codes, y = item["codes"].numpy(), item["y"].numpy()
        if np.array_equal(y, forward_target):
            strand, candidates = "+", [_forward_codes(store, 0, s) for s in range(-11, 12)]
        else:
            np.testing.assert_array_equal(y, forward_target[data.flip])  # the flipped map, nothing else
            strand = "-"
            candidates = [np.array([3, 2, 1, 0, 4], np.uint8)[_forward_codes(store, 0, s)[::-1]] for s in range(-11, 12)]
        matches = [s for s, c in zip(range(-11, 12), candidates) if np.array_equal(c, codes)]
        assert len(matches) == 1, "the sequence is the window shifted by at most 11 bp, on the map's strand"
        seen.add((strand, matches[0] != 0))
    assert {s for s, _ in seen} == {"+", "-"} and any(shifted for _, shifted in seen)


def test_datamodule_one_hot_on_transfer(store):
    module = HicDataModule(store, batch_size=2, shift_max=0, rc_augment=False)
    batch = next(iter(module.train_dataloader()))
    out = module.on_after_batch_transfer(batch, 0)
    assert out["x"].shape == (2, 4, WINDOW) and out["y"].shape[0] == 2
    n_run = (out["x"].sum(1)[:, 1000:1500] == 0).all(dim=1)
    assert n_run.sum() == 1  # N = all zeros, in the window that has the N run (the other has none)
    assert torch.all(out["x"].sum(1)[~n_run] == 1)


def test_missing_fasta_is_a_clear_error(store, tmp_path):
    with pytest.raises(InputError, match="FASTA"):
        HicWindows(store, "train", fasta_path=tmp_path / "missing.fa")


def test_distance_baseline_learns_the_mean_per_diagonal(store, tmp_path):
    out = tmp_path / "distance_baseline" / "model.pt"
    train_model(HicChain(), "distance_baseline", {}, store, out)
    saved = torch.load(out, weights_only=False)
    assert saved["arch"]["seq_length"] == WINDOW and saved["arch"]["n_maps"] == 1
    with h5py.File(store, "r") as h5:
        train = h5["targets"][:2].astype(np.float64)[..., 0]
    n = WINDOW // 2000 - 2 * CROP
    rows, cols = np.triu_indices(n, 2)
    table = saved["model"]["table"].numpy()[:, 0]
    for offset in (2, 3, 50, n - 1):
        expected = train[:, cols - rows == offset].mean()
        assert table[offset - 2] == pytest.approx(expected, abs=1e-6)


def test_vae_predictive_noise_is_fitted_on_validation_only(store, tmp_path):
    """An untrained tiny VAE on the store (bin 2,000 bp: the tower pools by 2^4 x 5^3): its predictive std adds
    the observation noise fitted on the val window, so scaling the test targets changes the coverage, never the
    fitted noise."""
    from regformer.evaluate.runner import predict_split
    from regformer.models.hic.akita_vae import AkitaVAE

    torch.manual_seed(0)
    model = AkitaVAE(seq_length=WINDOW, bin_size=2000, n_maps=1, stem_filters=4, tower_filters=4,
                     bottleneck_filters=4, n_heads=1, n_layers=1, ff_dim=8, head_filters=4, head_dilated_filters=4,
                     n_head_dilated=1, crop=CROP, diagonal_offset=2).eval()
    first = predict_split(HicChain(), model, store, n_samples=4)
    scaled = tmp_path / "scaled.h5"
    scaled.write_bytes(store.read_bytes())
    with h5py.File(scaled, "r+") as h5:
        test_row = int(h5["index/test"][0])
        h5["targets"][test_row] = h5["targets"][test_row] * 4
    second = predict_split(HicChain(), model, scaled, n_samples=4)
    u1, u2 = first.uncertainty, second.uncertainty
    assert u1["noise"] == u2["noise"] and u1["noise"]["fitted_on"] == "val" and u1["noise"]["n_val"] == 1
    assert u1["noise"]["n_groups"] == WINDOW // 2000 - 2 * CROP  # one per offset 0..n-1 (offsets < 2 unused)
    np.testing.assert_allclose(first.std, second.std)
    assert first.std.shape == first.prediction.shape and (first.std > 0).all()
    assert set(u1["coverage"]) == {"0.5", "0.8", "0.9", "0.95"} and u2["coverage"]["0.9"] < u1["coverage"]["0.9"]

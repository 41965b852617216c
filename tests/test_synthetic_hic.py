"""The synthetic Hi-C demo data: real FASTA/.fai/BED/.mcool files whose structure follows the planted CTCF sites."""

from __future__ import annotations

import cooler
import numpy as np
import pandas as pd
import pyfaidx
import pytest

from regformer.chains.hic.synthetic import simulate_hic
from regformer.chains.hic.synthetic_genome import CTCF_CORE, CTCF_WEAK, convergent_pairs, reverse_complement
from regformer.chains.hic.synthetic_maps import expected_band
from regformer.errors import InputError

CHROMS = {"chr1": 400_000, "chr2": 400_000}
MAPS = ["cellA", "cellB"]
BIN = 512
D = 320
BED_COLUMNS = ["chrom", "start", "end", "name", "score", "strand"]


def _paths(root, maps=MAPS):
    return ({m: str(root / f"{m}.mcool") for m in maps}, {m: str(root / f"{m}.noise_free.mcool") for m in maps})


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic_hic")
    coolers, noise_free = _paths(root)
    summary = simulate_hic(root / "genome.fa", coolers, noise_free, root / "sites.bed", chrom_lengths=CHROMS,
                           bin_size=BIN, site_spacing=20_000, contacts_per_map=8e6, seed=1)
    sites = pd.read_csv(root / "sites.bed", sep="\t", header=None, names=BED_COLUMNS)
    return {"root": root, "coolers": coolers, "noise_free": noise_free, "summary": summary, "sites": sites}


def _ratio(uri: str, chrom: str) -> np.ndarray:
    """Balanced observed/expected (per-diagonal mean) of one chromosome in the band; NaN elsewhere."""
    mat = cooler.Cooler(uri).matrix(balance=True).fetch(chrom)
    out = np.full_like(mat, np.nan)
    idx = np.arange(len(mat))
    for d in range(D + 1):
        diag = np.diagonal(mat, d)
        out[idx[:len(diag)], idx[:len(diag)] + d] = diag / np.nanmean(diag)
    return out


def _ratios(uri: str) -> dict[str, np.ndarray]:
    return {c: _ratio(uri, c) for c in CHROMS}


def _anchor_log_ratio(ratios: dict[str, np.ndarray], loops: pd.DataFrame) -> float:
    """log of the mean obs/exp in the 3x3 box around each loop's anchors, averaged over loops."""
    vals = [np.log(np.nanmean(ratios[c][a - 1:a + 2, b - 1:b + 2])) for c, a, b in loops.itertuples(index=False)]
    return float(np.mean(vals))


def _in_band(loops: pd.DataFrame) -> pd.DataFrame:
    return loops[(loops.bin2 - loops.bin1 <= D - 2) & (loops.bin2 - loops.bin1 >= 4)]


def test_fasta_gap_and_sites(sim):
    fasta = pyfaidx.Fasta(str(sim["root"] / "genome.fa"))
    assert {k: len(v) for k, v in fasta.items()} == CHROMS
    assert (sim["root"] / "genome.fa.fai").exists()
    chrom, start, end = sim["summary"]["gap"]
    seq = str(fasta[chrom][:]).upper()
    assert end - start == 30_000 and seq[start:end] == "N" * (end - start)
    assert seq.count("N") == end - start and "N" not in str(fasta["chr2"][:]).upper()
    with open(sim["root"] / "genome.fa") as fh:
        assert max(len(line.rstrip("\n")) for line in fh if not line.startswith(">")) == 60
    sites = sim["sites"]
    assert set(sites["name"]) == {"strong", "weak"} and set(sites["strand"]) == {"+", "-"}
    assert sim["summary"]["n_sites"] == sites["name"].value_counts().to_dict()
    for row in sites.itertuples(index=False):
        core = CTCF_CORE if row.name == "strong" else CTCF_WEAK
        want = core if row.strand == "+" else reverse_complement(core)
        assert str(fasta[row.chrom][row.start:row.end]).upper() == want, row
    gc = np.mean([b in "GC" for b in str(fasta["chr2"][:])])
    assert 0.39 < gc < 0.43


def test_mcool_resolutions_weights_and_gap(sim):
    chrom, start, end = sim["summary"]["gap"]
    for uri in [*sim["coolers"].values(), *sim["noise_free"].values()]:
        assert cooler.fileops.list_coolers(uri) == [f"/resolutions/{r}" for r in (BIN, 2 * BIN, 4 * BIN)]
        for res in (BIN, 2 * BIN, 4 * BIN):
            clr = cooler.Cooler(f"{uri}::resolutions/{res}")
            bins = clr.bins()[:]
            assert "weight" in bins.columns
            under_gap = (bins.chrom == chrom) & (bins.start >= start) & (bins.end <= end)
            assert under_gap.sum() >= (end - start) // res - 1 and bins.loc[under_gap, "weight"].isna().all()
            assert bins.loc[~under_gap, "weight"].notna().mean() > 0.97
    nf = cooler.Cooler(f"{sim['noise_free']['cellA']}::resolutions/{BIN}")
    assert nf.pixels()[:10]["count"].dtype.kind == "f"
    assert nf.info["sum"] == pytest.approx(8e6, rel=1e-6)
    assert sim["summary"]["total_contacts"]["cellA"] == pytest.approx(8e6, rel=0.01)
    assert not list(sim["root"].glob("*.tmp*"))  # atomic writes left no temporaries


def test_loops_domains_and_weak_sites(sim):
    sites = sim["sites"]
    loops = [_in_band(convergent_pairs(sites, m, BIN, 400_000)) for m in range(2)]
    ratios = [_ratios(f"{sim['coolers'][m]}::resolutions/{BIN}") for m in MAPS]
    for m in range(2):  # focal dots at convergent anchors
        assert len(loops[m]) >= 4 and _anchor_log_ratio(ratios[m], loops[m]) > 0.7
    # insulation: at the same distance, contacts inside a domain beat contacts crossing its bound end
    within, across = [], []
    for c, a, b in loops[0].itertuples(index=False):
        if b - a < 20:
            continue
        d = (b - a) // 2
        within += [ratios[0][c][i, i + d] for i in range(a + 1, b - d - 1)]
        across += [ratios[0][c][i, i + d] for i in range(b - d + 2, b) if i + d < len(ratios[0][c])]
    assert np.log(np.nanmean(within) / np.nanmean(across)) > 0.3
    # a loop that needs a weak site: present in cellB (index 1), absent in cellA (index 0)
    keys = set(map(tuple, loops[0].to_numpy().tolist()))
    weak_only = loops[1][[tuple(r) not in keys for r in loops[1].to_numpy().tolist()]]
    assert len(weak_only) >= 3
    in_b, in_a = _anchor_log_ratio(ratios[1], weak_only), _anchor_log_ratio(ratios[0], weak_only)
    assert in_b > 0.7 and in_b - in_a > 0.5


def test_noise_free_map_tracks_the_model(sim):
    """Short range (2..50 bins), log obs/exp on chr2 of cellB: noisy ~ noise-free, and noise-free ~ model better."""
    bins = cooler.binnify(pd.Series(CHROMS), BIN)
    band, _ = expected_band(bins, sim["sites"], tuple(sim["summary"]["gap"]), 1, bin_size=BIN,
                            max_loop_length=400_000, max_distance_bins=D)
    offset = int((bins.chrom == "chr1").sum())
    noisy, clean = (_ratio(f"{p['cellB']}::resolutions/{BIN}", "chr2") for p in (sim["coolers"], sim["noise_free"]))
    x, y, z = [], [], []
    for d in range(2, 51):
        model = band[offset:offset + len(clean) - d, d]
        ok = np.isfinite(np.diagonal(clean, d)) & (np.diagonal(noisy, d) > 0)
        x.append(np.log(np.diagonal(noisy, d)[ok]))
        y.append(np.log(np.diagonal(clean, d)[ok]))
        z.append(np.log(model[ok] / model[ok].mean()))
    x, y, z = map(np.concatenate, (x, y, z))
    r_pair, r_clean, r_noisy = np.corrcoef(x, y)[0, 1], np.corrcoef(y, z)[0, 1], np.corrcoef(x, z)[0, 1]
    assert r_pair > 0.6 and r_clean > 0.5 and r_clean > r_noisy + 0.05


def _small(root, seed):
    coolers, noise_free = _paths(root, ["m0"])
    simulate_hic(root / "g.fa", coolers, noise_free, root / "s.bed", chrom_lengths={"chrA": 250_000, "chrB": 150_000},
                 contacts_per_map=2e6, gap_length=10_000, seed=seed, max_distance_bins=128)
    clr = cooler.Cooler(f"{coolers['m0']}::resolutions/{BIN}")
    return clr.pixels()[:], clr.bins()[:]["weight"].to_numpy(), (root / "g.fa").read_bytes()


def test_seed_reproducible(tmp_path):
    runs = {name: _small(tmp_path / name, seed) for name, seed in [("a", 5), ("b", 5), ("c", 6)]}
    pd.testing.assert_frame_equal(runs["a"][0], runs["b"][0])
    np.testing.assert_array_equal(runs["a"][1], runs["b"][1])
    assert runs["a"][2] == runs["b"][2]
    assert runs["a"][2] != runs["c"][2]
    assert len(runs["a"][0]) != len(runs["c"][0]) or not runs["a"][0].equals(runs["c"][0])


@pytest.mark.parametrize("change, source", [
    ({"chrom_lengths": {}}, "chrom_lengths"),
    ({"gap_length": 300_000}, "gap_length"),
    ({"site_spacing": 500}, "site_spacing"),
    ({"contacts_per_map": 0}, "contacts_per_map"),
])
def test_bad_arguments(tmp_path, change, source):
    coolers, noise_free = _paths(tmp_path)
    kwargs = {"chrom_lengths": CHROMS, **change}
    with pytest.raises(InputError) as err:
        simulate_hic(tmp_path / "g.fa", coolers, noise_free, tmp_path / "s.bed", **kwargs)
    assert err.value.source == source and err.value.fix
    assert not list(tmp_path.iterdir())  # nothing written


def test_map_names_must_match(tmp_path):
    coolers, noise_free = _paths(tmp_path)
    with pytest.raises(InputError, match="map names"):
        simulate_hic(tmp_path / "g.fa", coolers, {"cellB": "x", "cellA": "y"}, tmp_path / "s.bed", chrom_lengths=CHROMS)

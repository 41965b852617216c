"""Hi-C evaluation: contact-map metrics against direct scipy calls, insulation, VAE calibration, stitched .cool."""

from __future__ import annotations

import cooler
import numpy as np
import pytest
from scipy import stats

from regformer.chains.hic.metrics import contact_map_metrics, insulation
from regformer.chains.hic.stitch import stitch_to_cool
from regformer.data.contact_maps import triu_to_matrix
from regformer.errors import InputError
from regformer.evaluate.uncertainty import uncertainty_metrics

N_BINS, OFFSET, MAPS = 40, 2, ["wt", "mut"]


def _maps(n_windows: int = 6, seed: int = 0) -> np.ndarray:
    """Smooth random symmetric maps with distance decay and domains, as triu vectors (n_windows, n_pixels, maps)."""
    rng = np.random.default_rng(seed)
    rows, cols = np.triu_indices(N_BINS, OFFSET)
    out = np.empty((n_windows, rows.size, len(MAPS)))
    for w in range(n_windows):
        for m in range(len(MAPS)):
            domain = np.cumsum(rng.random(N_BINS) < 0.1)
            same = domain[rows] == domain[cols]
            out[w, :, m] = same - 0.03 * (cols - rows) + 0.3 * rng.standard_normal(rows.size)
    return out


def test_triu_to_matrix_round_trips_and_is_symmetric():
    vec = np.arange(len(np.triu_indices(N_BINS, OFFSET)[0]), dtype=float)
    mat = triu_to_matrix(vec, N_BINS, OFFSET)
    np.testing.assert_array_equal(mat[np.triu_indices(N_BINS, OFFSET)], vec)
    np.testing.assert_array_equal(mat, mat.T)
    assert np.isnan(np.diag(mat)).all() and np.isnan(np.diag(mat, 1)).all()
    with pytest.raises(ValueError):
        triu_to_matrix(vec[:-1], N_BINS, OFFSET)


def test_perfect_and_affine_predictions():
    target = _maps()
    perfect = contact_map_metrics(target, target, MAPS, n_bins=N_BINS, diagonal_offset=OFFSET, insulation_window=5)
    assert perfect["mse"] == 0 and perfect["pearson"] == pytest.approx(1)
    assert perfect["window_pearson"] == pytest.approx(1) and perfect["n_windows"] == 6
    assert set(perfect["per_map"]) == set(MAPS)
    for name in MAPS:
        per = perfect["per_map"][name]
        assert per["insulation_pearson"] == pytest.approx(1) and per["spearman"] == pytest.approx(1)
        assert list(per["distance_pearson"]) == ["2-3", "4-7", "8-15", "16-31", "32-39"]
    affine = contact_map_metrics(target * 2 + 1, target, MAPS, n_bins=N_BINS, diagonal_offset=OFFSET,
                                 insulation_window=5)
    assert affine["pearson"] == pytest.approx(1) and affine["mse"] > 0.5
    assert affine["per_map"]["wt"]["insulation_pearson"] == pytest.approx(1)
    assert all(r == pytest.approx(1) for r in affine["per_map"]["mut"]["distance_pearson"].values())


def test_metrics_agree_with_scipy_and_noise_is_uncorrelated():
    target = _maps(seed=1)
    rng = np.random.default_rng(2)
    pred = target + rng.standard_normal(target.shape)
    res = contact_map_metrics(pred, target, MAPS, n_bins=N_BINS, diagonal_offset=OFFSET, insulation_window=5)
    assert res["pearson"] == pytest.approx(stats.pearsonr(target.ravel(), pred.ravel()).statistic)
    assert res["spearman"] == pytest.approx(stats.spearmanr(target.ravel(), pred.ravel()).statistic)
    assert res["mse"] == pytest.approx(np.mean((pred - target) ** 2))
    per_window = [stats.pearsonr(target[w].ravel(), pred[w].ravel()).statistic for w in range(len(target))]
    assert res["window_pearson"] == pytest.approx(np.mean(per_window))
    mut = res["per_map"]["mut"]
    assert mut["pearson"] == pytest.approx(stats.pearsonr(target[..., 1].ravel(), pred[..., 1].ravel()).statistic)
    assert mut["spearman"] == pytest.approx(stats.spearmanr(target[..., 1].ravel(), pred[..., 1].ravel()).statistic)
    rows, cols = np.triu_indices(N_BINS, OFFSET)
    band = (cols - rows >= 8) & (cols - rows <= 15)
    direct = stats.pearsonr(target[:, band, 1].ravel(), pred[:, band, 1].ravel()).statistic
    assert mut["distance_pearson"]["8-15"] == pytest.approx(direct)

    noise = rng.standard_normal(target.shape)
    res = contact_map_metrics(noise, target, MAPS, n_bins=N_BINS, diagonal_offset=OFFSET, insulation_window=5)
    assert abs(res["pearson"]) < 0.05 and abs(res["spearman"]) < 0.05
    assert res["mse"] > 1


def test_insulation_matches_explicit_diamond_loop():
    rng = np.random.default_rng(3)
    n, window = 30, 4
    vec = rng.standard_normal(len(np.triu_indices(n, OFFSET)[0]))
    mat = triu_to_matrix(vec, n, OFFSET)
    slow = np.full(n, np.nan)
    for i in range(window - 1, n - window + 1):  # diamond fully inside the map
        vals = [mat[a, b] for a in range(i - window + 1, i + 1) for b in range(i, i + window) if b - a >= OFFSET]
        slow[i] = np.mean(vals)
    np.testing.assert_allclose(insulation(mat, window, OFFSET), slow, equal_nan=True)


def test_insulation_minimum_at_domain_boundary():
    n, window = 40, 5
    domain = (np.arange(n) >= 20).astype(int)
    mat = np.where(domain[:, None] == domain[None, :], 1.0, -1.0)
    score = insulation(mat, window, OFFSET)
    assert np.isnan(score[: window - 1]).all() and np.isnan(score[n - window + 1:]).all()
    assert np.nanargmin(score) in (19, 20)
    assert score[19] < -0.5 and score[10] == pytest.approx(1) and score[30] == pytest.approx(1)


def test_uncertainty_calibrated_samples():
    """Target and samples both drawn from N(mu, 1): the 90% sample interval holds ~90% of targets."""
    rng = np.random.default_rng(4)
    mu = rng.standard_normal((4, 500, 2))
    target = mu + rng.standard_normal(mu.shape)
    samples = mu + rng.standard_normal((200, *mu.shape))
    res = uncertainty_metrics(samples, target, level=0.9)
    assert res["interval_coverage"] == pytest.approx(0.9, abs=0.02)
    assert res["interval_width"] == pytest.approx(2 * 1.645, rel=0.05)
    assert res["mse_one_sample"] == pytest.approx(2, rel=0.1)  # two independent unit-variance draws
    assert res["mse_mean"] == pytest.approx(1, rel=0.1) and res["mse_mean"] < res["mse_one_sample"]
    assert res["n_samples"] == 200 and res["level"] == 0.9
    overconfident = uncertainty_metrics(mu + 0.3 * (samples - mu), target)
    assert overconfident["interval_coverage"] < 0.5
    centred = uncertainty_metrics(samples, mu)  # targets at the centre of N(target, 1) samples: always inside
    assert centred["interval_coverage"] > 0.99


BIN, CROP = 100, 2


def test_stitch_mean_in_overlap_exact_elsewhere(tmp_path):
    n_bins = 8  # windows of 12 bins, 2 cropped per side
    rows, cols = np.triu_indices(n_bins, OFFSET)
    first = (rows * 10 + cols).astype(float)
    second = -(rows * 10 + cols).astype(float) + 100
    regions = [("chr2", 1000, 2200), ("chr2", 1400, 2600)]  # cropped bins 12..19 and 16..23 of chr2
    out = tmp_path / "pred.cool"
    summary = stitch_to_cool(np.stack([first, second]), regions, {"chr1": 550, "chr2": 3000}, out,
                             bin_size=BIN, crop=CROP, diagonal_offset=OFFSET)
    clr = cooler.Cooler(str(out))
    assert clr.binsize == BIN and list(clr.chromnames) == ["chr1", "chr2"]
    mat = clr.matrix(balance=False).fetch("chr2")
    expected = np.full((30, 30), np.nan)
    a = triu_to_matrix(first, n_bins, OFFSET)
    b = triu_to_matrix(second, n_bins, OFFSET)
    expected[12:20, 12:20] = a
    block = expected[16:24, 16:24]
    expected[16:24, 16:24] = np.where(np.isnan(block), b, (block + b) / 2)
    predicted = ~np.isnan(expected)
    np.testing.assert_allclose(mat[predicted], expected[predicted])
    assert (mat[~predicted] == 0).all()  # no pixel stored outside the predicted triangles
    assert mat[16, 19] == pytest.approx((47 + 97) / 2)  # first's local (4, 7) and second's local (0, 3)
    assert np.sum(clr.matrix(balance=False).fetch("chr1")) == 0
    assert summary["n_overlap_pixels"] == len(np.triu_indices(4, OFFSET)[0])
    assert summary["n_pixels"] == 2 * len(rows) - summary["n_overlap_pixels"]


def test_stitch_bad_input_leaves_no_file(tmp_path):
    n_pixels = len(np.triu_indices(8, OFFSET)[0])
    out = tmp_path / "pred.cool"
    with pytest.raises(InputError, match="chrX"):
        stitch_to_cool(np.zeros((1, n_pixels)), [("chrX", 0, 1200)], {"chr1": 3000}, out,
                       bin_size=BIN, crop=CROP, diagonal_offset=OFFSET)
    with pytest.raises(InputError, match="values"):
        stitch_to_cool(np.zeros((1, n_pixels - 1)), [("chr1", 0, 1200)], {"chr1": 3000}, out,
                       bin_size=BIN, crop=CROP, diagonal_offset=OFFSET)
    assert not out.exists() and not list(tmp_path.iterdir())

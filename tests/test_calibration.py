"""The posterior predictive's calibration metrics (regformer.evaluate.calibration) on hand-made cases."""

import numpy as np
import pytest
from scipy import stats

from regformer.evaluate.calibration import (COVERAGE_LEVELS, coverage, fit_noise_variance, predictive_calibration,
                                            predictive_std, std_error_correlation)


def test_coverage_of_a_known_gaussian():
    """Targets drawn from N(mean, 2^2) and a predictor that says exactly that: every central interval covers its
    nominal share, and its width is 2 z sigma."""
    rng = np.random.default_rng(0)
    mean = rng.normal(size=200_000)
    target = mean + 2.0 * rng.normal(size=mean.size)
    res = coverage(mean, np.full(mean.size, 2.0), target)
    for level in COVERAGE_LEVELS:
        assert res["coverage"][f"{level:g}"] == pytest.approx(level, abs=0.005)
        assert res["mean_width"][f"{level:g}"] == pytest.approx(2 * 2.0 * stats.norm.ppf(0.5 + level / 2))
    assert res["mean_width"]["0.9"] == pytest.approx(2 * 2.0 * 1.6449, rel=1e-3)


def test_reliability_of_calibrated_and_overconfident_predictors():
    """A calibrated predictor lies on the diagonal of the reliability diagram; one claiming half the true std
    under-covers at every level (its 90% interval holds ~59%, the share inside +-0.82 sigma)."""
    rng = np.random.default_rng(1)
    sigma = rng.uniform(0.2, 3.0, size=100_000)  # heteroscedastic, known per point
    target = sigma * rng.normal(size=sigma.size)
    calibrated = predictive_calibration(np.zeros_like(sigma), sigma, target)
    for nominal, observed in calibrated["reliability"].items():
        assert observed == pytest.approx(float(nominal), abs=0.01)
    overconfident = predictive_calibration(np.zeros_like(sigma), sigma / 2, target)
    assert overconfident["coverage"]["0.9"] == pytest.approx(2 * stats.norm.cdf(1.6449 / 2) - 1, abs=0.01)
    assert all(overconfident["reliability"][k] < float(k) - 0.01 for k in overconfident["reliability"])
    # the calibrated std ranks errors: larger std, larger |error| on average
    assert calibrated["std_error_spearman"] > 0.3 and calibrated["std_error_pearson"] > 0.3


def test_std_error_correlation_is_nan_for_a_constant_std():
    res = std_error_correlation(np.zeros(10), np.ones(10), np.arange(10.0))
    assert np.isnan(res["std_error_spearman"]) and np.isnan(res["std_error_pearson"])


def test_noise_fit_recovers_per_group_scales_beyond_the_latent_spread():
    """Residual variance 0.09 + latent 0.01 in group 0 and 0.25 + 0.01 in group 1: the fit returns the noise part
    of each group, and the total predictive std then covers 90% in each group."""
    rng = np.random.default_rng(2)
    groups = np.array([[0], [1], [1]])  # one target: (3 outputs, 1 map)
    noise = np.array([0.3, 0.5, 0.5])[None, :, None]
    mean = rng.normal(size=(40_000, 3, 1))
    latent_std = np.full(mean.shape, 0.1)
    target = mean + np.sqrt(noise ** 2 + latent_std ** 2) * rng.normal(size=mean.shape)
    var = fit_noise_variance(mean, latent_std ** 2, target, groups)
    assert var == pytest.approx([0.09, 0.25], rel=0.03)
    std = predictive_std(latent_std, var, groups)
    assert std[0, 0, 0] == pytest.approx(np.sqrt(0.1), rel=0.02) and std[0, 1, 0] == pytest.approx(np.sqrt(0.26), rel=0.02)
    for g in (0, 1):
        inside = np.broadcast_to(groups == g, mean.shape)
        assert coverage(mean[inside], std[inside], target[inside])["coverage"]["0.9"] == pytest.approx(0.9, abs=0.01)


def test_noise_fit_shrinks_small_groups_and_skips_missing_targets():
    """A group seen twice is pulled to the pooled value; NaN targets are ignored; the variance is never negative."""
    mean = np.zeros((1000, 2))
    target = np.ones((1000, 2))
    target[:, 1] = 3.0
    target[2:, 1] = np.nan  # group 1 has two values, both far off
    groups = np.array([0, 1])
    var = fit_noise_variance(mean, np.zeros_like(mean), target, groups, shrinkage=100)
    pooled = (1000 * 1.0 + 2 * 9.0) / 1002
    assert var[0] == pytest.approx((1000 + 100 * pooled) / 1100)
    assert var[1] == pytest.approx((18 + 100 * pooled) / 102) and var[1] < 1.5
    assert fit_noise_variance(mean, np.full_like(mean, 5.0), target, groups).min() == 0.0
    with pytest.raises(ValueError, match="shape of one target"):
        fit_noise_variance(mean, mean, target, np.zeros(3))

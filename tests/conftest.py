"""Shared fixtures: paths to the real test files and a small synthetic library."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
DREAM = DATA / "promoter" / "dream2022_yeast_demo_train.txt"
VAISHNAV = DATA / "promoter" / "vaishnav2022_random_test_defined_media_annotated.csv"


@pytest.fixture(scope="session")
def synthetic_store(tmp_path_factory):
    """A prepared store of 1,200 synthetic promoters (with noise-free values)."""
    from regformer.chains.promoter.prepare import prepare_promoter_dataset
    from regformer.chains.promoter.synthetic import simulate_promoter_library

    root = tmp_path_factory.mktemp("synthetic")
    simulate_promoter_library(root / "lib.txt", root / "nf.txt", n_sequences=1200, seed=3)
    prepare_promoter_dataset(root / "lib.txt", root / "store.h5", root / "summary.json", noise_free_path=root / "nf.txt")
    return root / "store.h5"

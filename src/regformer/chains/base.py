"""Defaults of the Chain interface (regformer.chain_interface) that most chains keep."""

from __future__ import annotations

from pathlib import Path

from regformer.chain_interface import Predictions
from regformer.errors import InputError
from regformer.evaluate.runner import write_prediction_file
from regformer.models.registry import ModelSpec
from regformer.train.module import FlatPearsonCorrCoef


class ChainBase:
    """A chain whose store is read as it is, validated by a pooled Pearson, with predictions.h5 in float32."""

    name = ""
    title = ""
    models: dict[str, ModelSpec] = {}
    eval_batch_size = 256
    strand_average = False
    # the report's verdict box and run record (regformer.report): the classical baseline every model should beat,
    # the metrics the verdict ranks by, the unit a bootstrap resamples, the libraries whose versions matter
    baseline_model = ""
    headline_metrics: tuple[str, ...] = ("pearson",)
    test_unit = "examples"
    report_libraries: tuple[str, ...] = ()

    def arch_for_store(self, spec: ModelSpec, arch: dict, user_config: dict, store_path: str | Path) -> dict:
        return arch

    def with_store_geometry(self, spec: ModelSpec, arch: dict, user_config: dict, summary: dict,
                            keys: tuple[str, ...]) -> dict:
        """`arch` with the store summary's values of `keys` (window geometry: the data decides it); a user config
        that sets one of them to another value is an error."""
        for key in keys:
            if key in user_config and user_config[key] != summary[key]:
                raise InputError("config.yaml", f"{self.name} model {spec.name}: {key} is {user_config[key]} but "
                                 f"the targets were built with {summary[key]}",
                                 f"remove {key} from the model (the dataset sets it)")
        return {**arch, **{key: summary[key] for key in keys}}

    def fit_closed_form(self, model, store_path: str | Path, training: dict, seed: int) -> dict:
        raise NotImplementedError(f"the {self.name} chain registers no closed-form model")

    def validation_metrics(self) -> dict:
        return {"val_pearson": FlatPearsonCorrCoef()}

    def noise_groups(self, store_path: str | Path):
        """Labels (the shape of one target) of outputs sharing an observation-noise scale; None: one scale."""
        return None

    def verdict_samples(self, dataset_dir: Path, models: dict[str, Path]):
        """What the verdict's bootstrap resamples for a results folder (the results table's SE): here one scalar
        per test example from each model's predictions.h5; None when there is nothing to resample."""
        from regformer.report.verdict import scalar_samples

        return scalar_samples(models, self.test_unit)

    def write_predictions(self, path: str | Path, store_path: str | Path, predictions: Predictions) -> None:
        write_prediction_file(path, predictions)

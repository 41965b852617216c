"""Check a user's config before any job runs, with messages of a few lines that name their config file.

Snakemake's own `validate` prints the whole schema (hundreds of lines) and points at the Snakefile; here
the one most relevant schema error is reported as: the file, the key's path, what is wrong, what is allowed.
Checks the schema cannot express (split fractions summing to 1) run here too, at start, not at job time.
"""

from __future__ import annotations

import math
from pathlib import Path

import jsonschema
import yaml

from regformer.chains.registry import chain_config_problems
from regformer.errors import InputError
from regformer.names import check_config_names

HELD_OUT_FRACTIONS = ("valid_fraction", "test_fraction")


class ConfigError(ValueError):
    """A config value the workflow cannot run with; the message is meant for the user as it is."""


def config_file_name(config_files) -> str:
    """The file(s) given with --configfile, or the embedded demo's config.yaml."""
    files = [str(f) for f in (config_files or [])]
    return ", ".join(files) if files else "config.yaml"


def _key_path(path) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def _allowed(error: jsonschema.ValidationError) -> str:
    """What the schema accepts at the error's place, in words."""
    schema, kind = error.schema if isinstance(error.schema, dict) else {}, error.validator
    if kind == "additionalProperties":
        return "keys " + ", ".join(sorted(schema.get("properties", {}))) if schema.get("properties") else "no other keys"
    if kind == "enum":
        return "one of " + ", ".join(map(str, error.validator_value))
    if kind in ("required", "oneOf", "anyOf") and schema.get("description"):
        return schema["description"]
    words = []
    if "type" in schema:
        words.append(f"a value of type {schema['type']}")
    if "enum" in schema:
        words.append("one of " + ", ".join(map(str, schema["enum"])))
    for bound, word in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="), ("exclusiveMaximum", "<")):
        if bound in schema:
            words.append(f"{word} {schema[bound]}")
    return " ".join(words) or str(schema.get("description", "see workflow/schemas/config.schema.yaml"))


def schema_problem(config: dict, schema_path: str | Path, config_files=None) -> str | None:
    """A short message for the most relevant schema error of `config`, or None when it is valid."""
    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is None:
        return None
    where = _key_path(error.absolute_path)
    return (f"config file {config_file_name(config_files)}: invalid value at {where}\n"
            f"  problem: {error.message}\n"
            f"  allowed: {_allowed(error)}\n"
            f"  (schema: {schema_path})")


def check_split_fractions(config: dict, config_files=None) -> None:
    """Every dataset's split fractions sum to 1 (train/val/test) or below 1 (held-out fractions of genomes)."""
    name = config_file_name(config_files)
    for chain, section in config.items():
        if not isinstance(section, dict) or not isinstance(section.get("datasets"), dict):
            continue
        for dataset, ds in section["datasets"].items():
            split = ds.get("split") if isinstance(ds, dict) else None
            if isinstance(split, dict) and all(k in split for k in ("train", "val", "test")):
                total = split["train"] + split["val"] + split["test"]
                if not math.isclose(total, 1.0, abs_tol=1e-6):
                    raise ConfigError(f"config file {name}: {chain}.datasets.{dataset}.split: train {split['train']} + "
                                      f"val {split['val']} + test {split['test']} = {total:g}, not 1\n"
                                      "  fix: make the three fractions sum to 1 (e.g. 0.8, 0.1, 0.1)")
            if isinstance(ds, dict) and all(k in ds for k in HELD_OUT_FRACTIONS):
                total = ds["valid_fraction"] + ds["test_fraction"]
                if total >= 1:
                    raise ConfigError(f"config file {name}: {chain}.datasets.{dataset}: valid_fraction "
                                      f"{ds['valid_fraction']} + test_fraction {ds['test_fraction']} = {total:g}, "
                                      "which leaves nothing to train on\n  fix: make them sum below 1 (e.g. 0.1 and 0.1)")


def check_config(config: dict, schema_path: str | Path, config_files=None) -> None:
    """Raise ConfigError with a short message if `config` breaks the schema."""
    problem = schema_problem(config, schema_path, config_files)
    if problem:
        raise ConfigError(problem)


def check_chain_sections(config: dict, config_files=None) -> None:
    """Each configured chain's own checks of its section (its package's config_problems, where it has one)."""
    name = config_file_name(config_files)
    for chain, section in config.items():
        problems = chain_config_problems(chain, section) if isinstance(section, dict) else []
        if problems:
            raise ConfigError(f"config file {name}: {problems[0]}")


def check_path_names(config: dict, config_files=None) -> None:
    """Dataset, model and contact-map names are safe folder names, unique within their chain (regformer.names)."""
    try:
        check_config_names(config, config_file_name(config_files))
    except InputError as err:
        raise ConfigError(str(err)) from None

"""Names that become paths (datasets, tracks, contact maps, models), checked in one place for every chain.

A name is one path component under results/: letters, digits, `_`, `.` and `-`, starting with a letter, digit
or `_` (so never `.`, `..`, a hidden file or something read as a command-line option), at most 100 characters,
and unique within its chain ignoring case (two names differing only in case collide on macOS and Windows).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from regformer.errors import InputError

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")
NAME_RULE = ("letters, digits, '_', '.' and '-' only, starting with a letter, digit or '_', at most 100 characters "
             "(it becomes a folder or file name under results/)")


def check_name(name: object, kind: str, source: object) -> str:
    """`name` if it is a safe path component, else an InputError naming `source` (file or config key)."""
    text = str(name)
    if not isinstance(name, str) or not NAME_PATTERN.match(text):
        raise InputError(source, f"{kind} {text!r} cannot be used as a name: it must be {NAME_RULE}",
                         f"rename the {kind} (e.g. {_suggest(text)!r})")
    return text


def check_names(names: Iterable[object], kind: str, source: object) -> list[str]:
    """Each name checked by `check_name`, and no two equal ignoring case; returns them as strings, in order."""
    out, seen = [], {}
    for name in names:
        text = check_name(name, kind, source)
        other = seen.setdefault(text.lower(), text)
        if other is not text:
            raise InputError(source, f"{kind} names {other!r} and {text!r} are the same ignoring case, so they "
                             "would share one folder or file", f"give each {kind} a name of its own")
        out.append(text)
    return out


def _suggest(text: str) -> str:
    """A safe name close to `text` (separators and other characters -> '_')."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", text).lstrip(".-") or "name"
    return safe[:100]


def config_names(config: dict) -> dict[str, dict[str, list[object]]]:
    """Per chain section, the names of the config that become paths: {chain: {kind: [names]}}."""
    out: dict[str, dict[str, list[object]]] = {}
    for chain, section in config.items():
        if not isinstance(section, dict) or not isinstance(section.get("datasets"), dict):
            continue
        models = list(section.get("models") or {})
        kinds = out.setdefault(chain, {"dataset": list(section["datasets"]), "model": models})
        for dataset, ds in section["datasets"].items():
            if not isinstance(ds, dict):
                continue
            synthetic = ds.get("synthetic") if isinstance(ds.get("synthetic"), dict) else {}
            maps = [m.get("name") for m in ds.get("maps") or [] if isinstance(m, dict)]
            maps += list(synthetic.get("maps") or [])
            if maps:
                kinds[f"contact map (of dataset {dataset})"] = maps
    return out


def check_config_names(config: dict, config_file: str) -> None:
    """Every dataset, model and contact-map name of `config` is a safe path component, unique within its chain."""
    for chain, kinds in config_names(config).items():
        for kind, names in kinds.items():
            check_names(names, kind, f"config file {config_file}: {chain}")

"""Read the template's `copier.yml` (with its `!include`s) as plain data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.harness.environment import REPO_ROOT

Question = dict[str, Any]


class _IncludeLoader(yaml.SafeLoader):
    """A safe loader that records `!include path` documents instead of failing on them."""


def _include(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, str]:
    assert isinstance(node, yaml.ScalarNode)
    return {"!include": str(loader.construct_scalar(node))}


_IncludeLoader.add_constructor("!include", _include)


def _documents(path: Path, root: Path) -> list[dict[str, Any]]:
    merged: list[dict[str, Any]] = []
    for document in yaml.load_all(path.read_text(encoding="utf-8"), Loader=_IncludeLoader):
        if not document:
            continue
        if isinstance(document, dict) and set(document) == {"!include"}:
            for included in sorted(root.glob(document["!include"])):
                merged += _documents(included, root)
        else:
            assert isinstance(document, dict), f"{path}: a document is not a mapping"
            merged.append(document)
    return merged


def load_config(root: Path = REPO_ROOT) -> dict[str, Any]:
    """Every key of `copier.yml` and the files it includes, merged in order."""
    config: dict[str, Any] = {}
    for document in _documents(root / "copier.yml", root):
        config.update(document)
    return config


def questions(root: Path = REPO_ROOT) -> dict[str, Question]:
    """The questions (keys not starting with `_`), visible and hidden."""
    return {
        name: value
        for name, value in load_config(root).items()
        if not name.startswith("_") and isinstance(value, dict)
    }


def settings(root: Path = REPO_ROOT) -> dict[str, Any]:
    """The `_settings` of `copier.yml`, keyed without the underscore."""
    return {name[1:]: value for name, value in load_config(root).items() if name.startswith("_")}


def choice_values(question: Question) -> tuple[str, ...]:
    """The values a question accepts; `choices` is a list or a label -> value mapping."""
    choices = question.get("choices", ())
    values = choices.values() if isinstance(choices, dict) else choices
    return tuple(str(value["value"] if isinstance(value, dict) else value) for value in values)


def is_asked(question: Question) -> bool:
    """Hidden questions (`when: false`) are computed, never asked nor recorded."""
    return question.get("when", True) is not False

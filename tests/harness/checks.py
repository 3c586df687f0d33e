"""Offline checks of a rendered project's files.

Each check returns a list of problems (empty when the check passes), so the
render tier can assert on it and the smoke command can report it.
"""

from __future__ import annotations

import ast
import functools
import json
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Sequence
from pathlib import Path

import jsonschema
import ruamel.yaml
import yaml
from check_jsonschema.builtin_schemas import get_builtin_schema

from tests.harness.dependencies import dependency_floors as dependency_floors_of_template

#: Folders that are never part of what the template renders.
_IGNORED_DIRS = frozenset(
    {".git", ".venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
)

#: GitHub Actions expressions (`${{ ... }}`) legitimately look like Jinja.
_ACTIONS_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")
#: `{%` and `{#` never belong in a rendered file; `{{` does in Python's
#: str.format and f-string escapes (`f'{{"a": {b}}}'`), so only expressions
#: like `{{ name }}` or `{{ name | filter }}` count.
_JINJA_MARKERS = re.compile(r"\{%|\{#|\{\{-?\s*[A-Za-z_][^{}]*\}\}")

Problems = list[str]


def project_files(project: Path) -> Iterator[Path]:
    """Every file of the project, outside tool caches and virtual environments."""
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project)
        if path.is_file() and not _IGNORED_DIRS.intersection(relative.parts):
            yield path


def text_of(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None


def tool(name: str) -> str:
    """A command-line tool of the template's dev environment."""
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} is not installed: run `uv sync` in the template repository")
    return found


def _run(command: Sequence[str], cwd: Path) -> Problems:
    result = subprocess.run(
        list(command), cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )
    if result.returncode == 0:
        return []
    output = (result.stdout + result.stderr).strip()
    shown = " ".join([Path(command[0]).name, *command[1:]])
    return [f"`{shown}` exited {result.returncode}:\n{output[-6000:]}"]


def leftover_jinja(project: Path) -> Problems:
    """Template syntax that survived rendering, in file names or contents."""
    problems: Problems = []
    for path in project_files(project):
        relative = path.relative_to(project)
        if _JINJA_MARKERS.search(str(relative)):
            problems.append(f"{relative}: template syntax in the file name")
        text = text_of(path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if _JINJA_MARKERS.search(_ACTIONS_EXPRESSION.sub("", line)):
                problems.append(f"{relative}:{number}: {line.strip()[:120]}")
        if path.suffix == ".jinja":
            problems.append(f"{relative}: a .jinja file was copied instead of rendered")
    return problems


def unparsable_data_files(project: Path) -> Problems:
    """YAML, TOML and JSON files that do not parse."""
    problems: Problems = []
    for path in project_files(project):
        relative = path.relative_to(project)
        text = text_of(path)
        if text is None:
            continue
        try:
            if path.suffix in {".yml", ".yaml"}:
                list(yaml.safe_load_all(text))
            elif path.suffix == ".toml":
                tomllib.loads(text)
            elif path.suffix == ".json":
                json.loads(text)
        except (yaml.YAMLError, tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
            problems.append(f"{relative}: {error}")
    return problems


def python_syntax_errors(project: Path) -> Problems:
    problems: Problems = []
    for path in project_files(project):
        if path.suffix != ".py":
            continue
        try:
            ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except SyntaxError as error:
            problems.append(f"{path.relative_to(project)}:{error.lineno}: {error.msg}")
    return problems


def unresolved_own_imports(project: Path) -> Problems:
    """Every import of the project's own modules (its package, `tests`) names a
    rendered module: a file the answers left out (copier.yml's `_exclude`) that
    another file still imports shows here, in every combination, without
    installing the project."""
    packages = (project / "src").glob("*/__init__.py")
    roots = {init.parent.name: init.parent.parent for init in packages}
    if (project / "tests" / "__init__.py").exists():
        roots["tests"] = project
    problems: Problems = []
    for path in project_files(project):
        if path.suffix != ".py":
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except SyntaxError:
            continue  # the "Python parses" check names it
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                parts = module.split(".")
                root = roots.get(parts[0])
                if root is None:
                    continue
                target = root.joinpath(*parts)
                if not (target.with_suffix(".py").is_file() or (target / "__init__.py").is_file()):
                    where = f"{path.relative_to(project)}:{node.lineno}"
                    problems.append(f"{where} imports {module}, which was not rendered")
    return problems


def ruff_check(project: Path) -> Problems:
    """`ruff check` with the project's own configuration (cwd = project)."""
    return _run([tool("ruff"), "check", "--no-cache", "--quiet", "."], project)


def ruff_format(project: Path) -> Problems:
    return _run([tool("ruff"), "format", "--check", "--no-cache", "--quiet", "."], project)


def hadolint(project: Path) -> Problems:
    dockerfiles = [p for p in project_files(project) if p.name.startswith("Dockerfile")]
    if not dockerfiles:
        return ["no Dockerfile was rendered"]
    return [
        problem
        for dockerfile in dockerfiles
        for problem in _run([tool("hadolint"), str(dockerfile.relative_to(project))], project)
    ]


def json_schema(files: Sequence[Path], builtin_schema: str, cwd: Path) -> Problems:
    """Validate `files` against one of check-jsonschema's vendored schemas (offline).

    In this process, with the schema compiled once: the render tier validates
    hundreds of files, and a check-jsonschema process per file costs a second
    of start-up each. YAML is read as YAML 1.2, as check-jsonschema reads it
    (a workflow's `on:` key stays a string).
    """
    validator = _schema_validator(builtin_schema)
    problems: Problems = []
    for path in files:
        document = ruamel.yaml.YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
        problems += [
            f"{path.relative_to(cwd)}: {error.json_path}: {error.message}"
            for error in validator.iter_errors(document)
        ]
    return problems


@functools.cache
def _schema_validator(builtin_schema: str) -> jsonschema.protocols.Validator:
    schema = get_builtin_schema(builtin_schema)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


def workflow_files(root: Path) -> list[Path]:
    folder = root / ".github" / "workflows"
    return sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])


def compose_files(root: Path) -> list[Path]:
    names = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
    return [root / name for name in names if (root / name).exists()]


def compose_schema(project: Path) -> Problems:
    files = compose_files(project)
    if not files:
        return ["no compose.yaml was rendered"]
    return json_schema(files, "vendor.compose-spec", project)


def workflows_schema(root: Path) -> Problems:
    files = workflow_files(root)
    if not files:
        return [f"no workflow in {root / '.github' / 'workflows'}"]
    return json_schema(files, "vendor.github-workflows", root)


def zizmor(root: Path) -> Problems:
    """zizmor's offline audits of the workflows (and dependabot config, if any)."""
    files = workflow_files(root)
    if not files:
        return [f"no workflow in {root / '.github' / 'workflows'}"]
    dependabot = list((root / ".github").glob("dependabot.y*ml"))
    return _run(
        [
            tool("zizmor"),
            "--offline",
            "--no-progress",
            *(str(p.relative_to(root)) for p in [*files, *dependabot]),
        ],
        root,
    )


#: A step's or a job's `uses:`: an action or a reusable workflow.
_USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<comment>.*)$")
#: Pinned to a full commit, with the release it is in a comment: `@<40 hex> # v1.2.3`.
_PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
_VERSION_COMMENT = re.compile(r"^\s+# v\d+(\.\d+)*$")


def action_pins(root: Path) -> Problems:
    """Every action a workflow uses is pinned to a full commit SHA with its version in
    a comment, and each action to one commit across the workflows."""
    files = workflow_files(root)
    if not files:
        return [f"no workflow in {root / '.github' / 'workflows'}"]
    problems: Problems = []
    commits: dict[str, set[str]] = {}
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            found = _USES.match(line)
            # This repository's own files (`./` or GitHub's `$/`) need no pin.
            if found is None or found["ref"].startswith(("./", "$/")):
                continue
            where = f"{path.relative_to(root)}:{number}"
            if not _PINNED.match(found["ref"]):
                problems.append(f"{where}: {found['ref']} is not pinned to a full commit SHA")
            elif not _VERSION_COMMENT.match(found["comment"]):
                problems.append(f"{where}: {found['ref']} has no `# vX.Y.Z` comment")
            else:
                action, _, commit = found["ref"].partition("@")
                commits.setdefault(action, set()).add(f"{commit}{found['comment']}")
    problems += [
        f"{action} is pinned to more than one commit: {sorted(pins)}"
        for action, pins in commits.items()
        if len(pins) > 1
    ]
    return problems


def renovate_schema(project: Path) -> Problems:
    config = project / ".github" / "renovate.json"
    if not config.exists():
        return ["no .github/renovate.json was rendered"]
    return json_schema([config], "vendor.renovate", project)


_REQUIREMENT = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?(?P<specifier>.*)$")


def dependency_floors(project: Path) -> Problems:
    """Every requirement carries the floor of includes/dependencies.jinja, the
    one place a floor is written."""
    floors = dependency_floors_of_template()
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    requirements = [
        *pyproject["project"]["dependencies"],
        *pyproject["dependency-groups"]["dev"],
    ]
    problems = []
    for requirement in requirements:
        found = _REQUIREMENT.match(requirement)
        name = found["name"] if found else requirement
        if found is None or floors.get(name) != found["specifier"]:
            problems.append(
                f"pyproject.toml requires {requirement!r}; "
                f"includes/dependencies.jinja says {name}{floors.get(name, ' (not listed)')}"
            )
    return problems


#: Every render check, by the name the tiers and the smoke report use.
ALL_CHECKS = {
    "no leftover template syntax": leftover_jinja,
    "YAML, TOML, JSON parse": unparsable_data_files,
    "Python parses": python_syntax_errors,
    "own imports resolve": unresolved_own_imports,
    "ruff check": ruff_check,
    "ruff format --check": ruff_format,
    "hadolint": hadolint,
    "compose schema": compose_schema,
    "workflow schema": workflows_schema,
    "zizmor --offline": zizmor,
    "actions pinned by commit": action_pins,
    "Renovate schema": renovate_schema,
    "dependency floors": dependency_floors,
}

"""Tier 2: every combination renders clean, offline, deterministically."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.harness import checks
from tests.harness.copier_config import choice_values, questions
from tests.harness.environment import REPO_ROOT
from tests.harness.exclusions import files_of_options_not_taken, left_out, option_paths
from tests.harness.moves import move_problems, places_without_source
from tests.harness.option_rules import untaken_option_problems
from tests.harness.projects import generate, recorded_answers
from tests.harness.readme import section, shell_commands
from tests.harness.reporting import DURATION_PREFIX
from tests.option_space import AXES, COVERING_SET, Combination, all_combinations, combination_id

pytestmark = pytest.mark.render

PYTHON_VERSIONS = choice_values(questions()["python_version"])
Case = tuple[dict[str, str], str]
#: Every combination at the default Python version; the other versions, which
#: change a few version strings only, with the covering set.
CASES: list[Case] = [(combination, PYTHON_VERSIONS[0]) for combination in all_combinations()] + [
    (dict(combination), version) for combination in COVERING_SET for version in PYTHON_VERSIONS[1:]
]
Renderer = Callable[[Combination, str], Path]

#: Files that differ between two renders with the same answers, by design.
NONDETERMINISTIC = frozenset({".env"})


def case_id(case: Case) -> str:
    combination, version = case
    return f"{combination_id(combination)}-py{version}"


#: Seconds each case took to render, for the duration report.
RENDER_SECONDS: dict[str, float] = {}


@pytest.fixture(scope="module")
def render(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Renderer:
    """Render each case once per module (and per xdist worker)."""
    root = tmp_path_factory.mktemp("render")
    cache: dict[str, Path] = {}

    def renderer(combination: Combination, python_version: str) -> Path:
        key = case_id((dict(combination), python_version))
        if key not in cache:
            started = time.perf_counter()
            cache[key] = generate(
                template_repo, root / key, {**combination, "python_version": python_version}
            )
            RENDER_SECONDS[key] = time.perf_counter() - started
        return cache[key]

    return renderer


@pytest.fixture(
    params=[
        # One xdist group per case: its tests run on one worker, which renders it once.
        pytest.param(
            case, id=case_id(case), marks=pytest.mark.xdist_group(f"render-{case_id(case)}")
        )
        for case in CASES
    ]
)
def case(request: pytest.FixtureRequest) -> Case:
    combination, version = request.param
    return dict(combination), str(version)


@pytest.fixture
def project(case: Case, render: Renderer) -> Path:
    return render(*case)


def test_renders(
    case: Case, render: Renderer, record_property: Callable[[str, object], None]
) -> None:
    project = render(*case)
    if case_id(case) in RENDER_SECONDS:
        record_property(DURATION_PREFIX + "render", RENDER_SECONDS[case_id(case)])
    assert (project / ".copier-answers.yml").exists()
    assert (project / "pyproject.toml").exists()


@pytest.mark.parametrize("check", list(checks.ALL_CHECKS))
def test_rendered_files(check: str, project: Path) -> None:
    problems = checks.ALL_CHECKS[check](project)
    assert not problems, "\n".join(problems)


def test_the_exclusion_list_decides_which_option_files_exist(case: Case, project: Path) -> None:
    """Each path of copier.yml's list of conditions (`_exclude`) is absent where its
    condition holds for the answers, and rendered where neither its condition nor
    that of a folder it is in holds and the framework's tree has it."""
    answers = {**case[0], "package_name": recorded_answers(project)["package_name"]}
    tree = REPO_ROOT / "template" / case[0]["framework"]
    problems = files_of_options_not_taken(project, answers)
    for entry in option_paths():
        rendered = project / entry.in_project(answers["package_name"])
        if not left_out(entry, answers) and entry.source_in(tree) and not rendered.exists():
            problems.append(f"{entry.path} is missing, though not {entry.condition}")
    assert not problems, "\n".join(problems)


def test_every_move_of_the_update_migrations_is_one_the_render_shows(
    case: Case, project: Path
) -> None:
    """A move that `hooks/follow_moves.py` carries edits along (copier.yml's
    `_migrations`) names a file the render no longer has and one it has."""
    answers = {**case[0], "package_name": recorded_answers(project)["package_name"]}
    problems = move_problems(project, answers)
    assert not problems, "\n".join(problems)


def test_every_place_of_the_update_migrations_has_a_source() -> None:
    trees = [REPO_ROOT / "template" / framework for framework in AXES["framework"]]
    stale = places_without_source(trees)
    assert not stale, f"copier.yml's _migrations move code to paths no tree renders: {stale}"


def test_every_path_of_the_exclusion_list_has_a_source() -> None:
    """A line whose file no framework tree has any more is stale."""
    trees = [REPO_ROOT / "template" / framework for framework in AXES["framework"]]
    stale = [
        entry.path
        for entry in option_paths()
        if all(entry.source_in(tree) is None for tree in trees)
    ]
    assert not stale, f"copier.yml's _exclude names paths no tree renders: {stale}"


def test_no_file_of_an_option_not_taken(case: Case, project: Path) -> None:
    problems = untaken_option_problems(project, case[0])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("combination", COVERING_SET, ids=combination_id)
def test_rendering_is_deterministic(
    combination: dict[str, str], template_repo: Path, tmp_path: Path
) -> None:
    """Two renders with the same answers are byte for byte the same.

    Over the covering set, not every combination: the render of one
    combination does not depend on the others, determinism is a property of
    the template engine and our filters, and the covering set renders every
    file of the template.
    """
    first = generate(template_repo, tmp_path / "first" / "project", combination)
    second = generate(template_repo, tmp_path / "second" / "project", combination)

    def files(project: Path) -> dict[str, bytes]:
        return {
            str(path.relative_to(project)): path.read_bytes()
            for path in checks.project_files(project)
            if path.name not in NONDETERMINISTIC
        }

    first_files, second_files = files(first), files(second)
    assert sorted(first_files) == sorted(second_files)
    differing = [name for name in first_files if first_files[name] != second_files[name]]
    assert not differing, f"two renders with the same answers differ in {differing}"


@pytest.mark.parametrize(
    "check",
    [checks.workflows_schema, checks.zizmor, checks.action_pins],
    ids=["schema", "zizmor", "pins"],
)
def test_template_repository_workflows(check: Callable[[Path], list[str]]) -> None:
    """The template's own CI workflows pass the same offline checks."""
    problems = check(REPO_ROOT)
    assert not problems, "\n".join(problems)


def test_the_template_has_no_symlinks() -> None:
    """Shared text is written once in template/shared and included (docs/maintaining.md)."""
    template = REPO_ROOT / "template"
    links = [str(path.relative_to(template)) for path in template.rglob("*") if path.is_symlink()]
    assert links == [], "symlinks in template/: include text from template/shared instead"


#: `{% include 'template/shared/...' ~ answer ~ '...' %}`: the text the answer names.
ANSWER_NAMED_INCLUDE = re.compile(r"\{%-?\s*include\s+'([^']+)'\s*~\s*(\w+)\s*~\s*'([^']+)'")


def answer_named_texts(text: str) -> set[str]:
    """Every text the answer-named includes in `text` can take."""
    names: set[str] = set()
    for prefix, question, suffix in ANSWER_NAMED_INCLUDE.findall(text):
        assert question in AXES, f"an include named by {question!r}, which is not an axis"
        names.update(f"{prefix}{value}{suffix}" for value in AXES[question])
    return names


def test_every_shared_text_is_included() -> None:
    """Each file of template/shared is rendered through a framework's include of it."""
    template = REPO_ROOT / "template"
    texts = [
        path.read_text()
        for path in template.rglob("*.jinja")
        if path.is_file() and "shared" not in path.relative_to(template).parts[:1]
    ]
    named = set().union(*(answer_named_texts(text) for text in texts))
    unused = [
        str(path.relative_to(REPO_ROOT))
        for path in sorted((template / "shared").rglob("*.jinja"))
        if path.relative_to(REPO_ROOT).as_posix() not in named
        and not any(f"'{path.relative_to(REPO_ROOT).as_posix()}'" in text for text in texts)
    ]
    assert unused == [], "shared text no framework file includes"


def test_every_answer_named_include_has_a_text_per_value() -> None:
    """An include that names its text by an answer finds a text for each value."""
    template = REPO_ROOT / "template"
    missing = [
        f"{path.relative_to(REPO_ROOT)}: {prefix}{value}{suffix}"
        for path in sorted(template.rglob("*.jinja"))
        if path.is_file()
        for prefix, question, suffix in ANSWER_NAMED_INCLUDE.findall(path.read_text())
        for value in AXES[question]
        if not (REPO_ROOT / f"{prefix}{value}{suffix}").is_file()
    ]
    assert missing == [], "texts an answer-named include cannot find"


def test_one_tree_per_framework() -> None:
    """template/ holds a tree per framework and the shared text, and no path name
    asks for the framework: the tree decides (docs/maintaining.md)."""
    template = REPO_ROOT / "template"
    assert sorted(path.name for path in template.iterdir()) == sorted(
        [*AXES["framework"], "shared"]
    )
    named = [
        str(path.relative_to(template)) for path in template.rglob("*") if "framework" in path.name
    ]
    assert named == [], "a framework condition in a name: move the file into its framework's tree"


def test_python_version_is_applied(case: Case, project: Path) -> None:
    version = case[1]
    assert (project / ".python-version").read_text().strip() == version
    pyproject = (project / "pyproject.toml").read_text()
    assert f'requires-python = ">={version}"' in pyproject
    assert f'target-version = "py{version.replace(".", "")}"' in pyproject
    dockerfiles = [p for p in checks.project_files(project) if p.name.startswith("Dockerfile")]
    assert any(f"python:{version}" in p.read_text() for p in dockerfiles), "base image version"


def test_ci_runs_the_readme_test_command() -> None:
    """`.ci/run` runs exactly the test command the README gives."""
    readme_commands = shell_commands(
        section((REPO_ROOT / "README.md").read_text(), "Test the template")
    )
    pytest_commands = [command for command in readme_commands if "pytest" in command]
    assert len(pytest_commands) == 1, readme_commands
    ci_script = (REPO_ROOT / ".ci" / "run").read_text()
    assert f'{pytest_commands[0]} "$@"' in ci_script

"""The test suite's own machinery works as the tiers assume."""

from __future__ import annotations

import re
import secrets
import subprocess
from collections.abc import Collection
from pathlib import Path

import jinja2
import pytest
from copier import run_copy

from tests.harness import checks, file_mode_check
from tests.harness.culprit import bisect
from tests.harness.tested_set import Move
from tests.option_space import defaults
from tests.smoke.__main__ import combinations_to_run as smoke_combinations
from tests.smoke.__main__ import parse as parse_smoke
from tools.render_diff import compare_trees, report

GROUP = "suite-self-check"


@pytest.mark.xdist_group(GROUP)
def test_loadgroup_keeps_a_group_on_one_worker(request: pytest.FixtureRequest) -> None:
    """`--dist loadgroup` really groups: pytest-xdist tags each grouped test's id.

    The tiers install each project and start its server once per worker, which
    is once per run only while every test of a combination runs on one worker.
    A pytest-xdist that no longer groups (as with pytest 9.2, pytest-xdist#1386)
    would silently install and serve every project on every worker.
    """
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("not an xdist worker of a `--dist loadgroup` run")
    assert request.node.nodeid.endswith(f"@{GROUP}"), (
        f"pytest-xdist did not group {request.node.nodeid}: check the pytest and "
        "pytest-xdist versions in uv.lock"
    )


def test_smoke_fills_in_the_answers_a_choice_brings_with_it() -> None:
    """`--data task_queue=rq` alone asks for the broker too: its default is filled in."""
    [answers] = smoke_combinations(parse_smoke(["--data", "task_queue=rq"]))
    assert answers == {**defaults(), "task_queue": "rq", "broker": "redis"}


def test_smoke_drops_an_answer_that_is_not_asked() -> None:
    [answers] = smoke_combinations(parse_smoke(["--data", "broker=rabbitmq"]))
    assert answers == defaults()
    assert "broker" not in answers


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (["framework=rails"], "framework='rails' is not one of fastapi, flask, django"),
        (["task_queue=rq", "broker=rabbitmq"], "is refused by the option space constraints"),
    ],
)
def test_smoke_refuses_answers_the_template_refuses(data: list[str], message: str) -> None:
    argv = [argument for pair in data for argument in ("--data", pair)]
    with pytest.raises(SystemExit, match=re.escape(message)):
        smoke_combinations(parse_smoke(argv))


SUSPECTS = [Move(f"package-{index}", "1.0", "2.0") for index in range(9)]


@pytest.mark.parametrize("breaking", [0, 4, 8])
def test_the_culprit_search_finds_the_one_release_that_breaks(breaking: int) -> None:
    trials: list[set[str]] = []

    def fails(free: Collection[Move]) -> bool:
        names = {move.name for move in free}
        trials.append(names)
        return SUSPECTS[breaking].name in names

    verdict = bisect(SUSPECTS, fails)
    assert verdict.culprits == (SUSPECTS[breaking],)
    assert len(trials) <= 2 + 2 * 4  # the two checks, then at most two trials per halving


def test_the_culprit_search_reports_releases_that_break_only_together() -> None:
    together = {SUSPECTS[1].name, SUSPECTS[7].name}
    verdict = bisect(SUSPECTS, lambda free: together <= {move.name for move in free})
    assert {move.name for move in verdict.culprits} >= together
    assert verdict.explanation == "these releases break it only together"


@pytest.mark.parametrize(
    ("outcome", "explanation"),
    [
        (False, "the newest releases pass here: the failure did not reproduce"),
        (True, "the tested set itself fails here: not a newer release's doing"),
    ],
)
def test_the_culprit_search_names_no_culprit_it_cannot_prove(
    outcome: bool, explanation: str
) -> None:
    verdict = bisect(SUSPECTS, lambda free: outcome)
    assert verdict == type(verdict)((), explanation)


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_render_diff_names_what_differs_and_ignores_the_source_and_the_secret(
    tmp_path: Path,
) -> None:
    """tools/render_diff.py: only what a project would see counts as a difference."""
    same = {"README.md": "Acme\n", "src/app.py": "x = 1\n"}
    old = _tree(
        tmp_path / "old",
        {
            **same,
            "gone.py": "",
            "edited.py": "a\n",
            "newline.py": "a\n",
            ".env": "SECRET_KEY=one\n",
            ".copier-answers.yml": "_commit: abc\n_src_path: /tmp/old\nauth: jwt\n",
        },
    )
    new = _tree(
        tmp_path / "new",
        {
            **same,
            "added.py": "",
            "edited.py": "b\n",
            "newline.py": "a",
            ".env": "SECRET_KEY=two\n",
            ".copier-answers.yml": "_src_path: /tmp/new\nauth: jwt\n",
        },
    )
    (old / "src" / "app.py").chmod(0o644)
    (new / "src" / "app.py").chmod(0o755)

    assert compare_trees(old, new) == [
        "added.py (only in the new render)",
        "edited.py (content)",
        "gone.py (only in the base)",
        "newline.py (content)",
        "src/app.py (mode 644 became 755)",
    ]
    assert compare_trees(old, old) == []


def test_render_diff_groups_the_differences_by_path() -> None:
    differences = {"flask-sqlite-jwt": ["a.py (content)"], "django-sqlite-jwt": ["a.py (content)"]}
    differences["fastapi-sqlite-jwt"] = []

    assert report(differences, 3) == [
        "a.py (content): 2 of 3 combinations",
        "    django-sqlite-jwt",
        "    flask-sqlite-jwt",
        "1 differing paths in 2 of 3 combinations",
    ]
    assert report({"fastapi-sqlite-jwt": []}, 1) == [
        "0 differences: 1 of 1 combinations render byte-identical trees"
    ]


def test_jinja_compiles_a_text_once_but_never_a_random_one() -> None:
    """The suite's compile cache (tests/harness/jinja_cache.py, installed by conftest)
    serves a new environment the same compiled code, except for impure filters."""
    source = "{{ project_name | upper }} {% if cache == 'redis' %}cached{% endif %}"
    first, second = jinja2.Environment(autoescape=True), jinja2.Environment(autoescape=True)

    assert first.compile(source) is second.compile(source)
    assert first.from_string(source).render(project_name="a", cache="redis") == "A cached"

    def draw(environment: jinja2.Environment) -> str:
        return environment.from_string("{{ (10 ** 30) | random_number }}").render()

    for environment in (first, second):
        environment.filters["random_number"] = secrets.randbelow
    assert draw(first) != draw(second), "a constant-folded random value was served twice"


def test_jinja_caches_a_text_across_file_names_and_despite_impure_words_in_prose() -> None:
    """Copier renders from a fresh clone, so one file arrives under a new path each
    time; "now" or "random" in plain text is not a filter call."""
    source = "We now know {{ project_name }} has a random id.\n"
    first, second = jinja2.Environment(autoescape=True), jinja2.Environment(autoescape=True)

    assert first.compile(source, "a.jinja", "clone-1/a.jinja") is second.compile(
        source, "a.jinja", "clone-2/a.jinja"
    )
    for environment in (first, second):
        environment.filters["ans_random"] = secrets.randbelow
    impure = "{{ 9 | random }} and {{ 9 | ans_random }}"
    assert first.compile(impure) is not second.compile(impure)


@pytest.mark.parametrize("file_mode", ["true", "false"])
def test_copier_asks_git_about_file_modes_once_and_still_syncs_the_bit(
    file_mode: str, tmp_path: Path
) -> None:
    """tests/harness/file_mode_check.py: where git ignores file modes, Copier's own
    per-file sync still records an executable bit in the index; elsewhere the
    on-disk mode is what git sees."""
    template = tmp_path / "template"
    template.mkdir()
    (template / "copier.yml").write_text("_templates_suffix: .jinja\n")
    script = template / "run.sh"
    script.write_text("#!/bin/sh\necho hello\n")
    script.chmod(0o755)
    project = tmp_path / "project"
    project.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], cwd=project, check=True)
    subprocess.run([*git, "config", "core.fileMode", file_mode], cwd=project, check=True)
    (project / "run.sh").write_text("#!/bin/sh\necho old\n")
    subprocess.run([*git, "add", "run.sh"], cwd=project, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "old"], cwd=project, check=True)

    assert file_mode_check.git_ignores_file_modes(project / "not-yet" / "made") is (
        file_mode == "false"
    )
    run_copy(str(template), str(project), defaults=True, overwrite=True, quiet=True)

    staged = subprocess.run(
        ["git", "ls-files", "--stage", "run.sh"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert staged.startswith("100755" if file_mode == "false" else "100644"), staged
    assert (project / "run.sh").stat().st_mode & 0o111


def test_unresolved_imports_are_named_and_an_unparsable_file_is_left_to_its_own_check(
    tmp_path: Path,
) -> None:
    package = tmp_path / "src" / "shop"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "app.py").write_text("from shop.cache import ItemCache\nimport shop.config\n")
    (package / "config.py").write_text("")
    (package / "broken.py").write_text("def (:\n")

    assert checks.unresolved_own_imports(tmp_path) == [
        "src/shop/app.py:1 imports shop.cache, which was not rendered"
    ]
    assert checks.python_syntax_errors(tmp_path)

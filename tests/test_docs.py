"""The README's option table and docs/options.md name every question of
copier.yml, with its values and default, so the three cannot drift apart."""

from __future__ import annotations

import re

import pytest

from tests.harness.copier_config import Question, choice_values, is_asked, questions
from tests.harness.environment import REPO_ROOT
from tests.harness.readme import section, tables

pytestmark = pytest.mark.questions

QUESTIONS = questions()
_CODE = re.compile(r"`([^`]+)`")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# The values a cell lists first: `a`, `b`, `c`, up to the first other text.
_LEADING_VALUES = re.compile(r"^`[^`]+`(?:,\s*`[^`]+`)*")


def _question_rows(markdown: str) -> dict[str, list[str]]:
    """Each question of the tables whose first column is `question` or `name`,
    with the cells of its row; a row whose first cell is empty continues the
    row above (one line per value) and adds its cells to the same question."""
    rows: dict[str, list[str]] = {}
    for header, *body in tables(markdown):
        if header[0] not in {"question", "name"}:
            continue
        names: list[str] = []
        for row in body:
            labelled = [f"{title}: {cell}" for title, cell in zip(header, row, strict=True)]
            if row[0]:
                names = [name for name in _CODE.findall(row[0]) if _NAME.match(name)]
                assert names, f"a row names no question: {row}"
                for name in names:
                    assert name not in rows, f"{name} has two rows"
                    rows[name] = []
            for name in names:
                rows[name] += labelled
    return rows


def _listed_values(cells: list[str], column: str) -> list[str]:
    """The values the given column lists first in each of a question's rows."""
    listed: list[str] = []
    for cell in cells:
        heading, _, text = cell.partition(": ")
        if heading == column and (match := _LEADING_VALUES.match(text)):
            listed += _CODE.findall(match.group(0))
    return listed


def _default(question: Question) -> str | None:
    default = question.get("default")
    if default is None or "{{" in str(default) or "{%" in str(default):
        return None  # asked without a default, or derived from other answers
    return str(default)


def _readme_options() -> dict[str, list[str]]:
    return _question_rows(section((REPO_ROOT / "README.md").read_text(), "Options"))


def _options_doc() -> dict[str, list[str]]:
    return _question_rows((REPO_ROOT / "docs" / "options.md").read_text())


def test_the_readme_option_table_names_every_question_asked() -> None:
    asked = {name for name, question in QUESTIONS.items() if is_asked(question)}
    assert set(_readme_options()) == asked


def test_docs_options_names_every_question_hidden_ones_too() -> None:
    assert set(_options_doc()) == set(QUESTIONS)


@pytest.mark.parametrize(
    ("document", "column"),
    [
        ("README.md", "values (default first)"),
        ("docs/options.md", "values (default first)"),
        ("docs/options.md", "values"),
    ],
)
def test_the_docs_list_each_choice_question_s_values_default_first(
    document: str, column: str
) -> None:
    rows = _readme_options() if document == "README.md" else _options_doc()
    checked = 0
    for name, cells in rows.items():
        question = QUESTIONS[name]
        listed = _listed_values(cells, column)
        if not choice_values(question) or not listed:
            continue
        checked += 1
        assert sorted(listed) == sorted(choice_values(question)), (document, name)
        if column.endswith("(default first)"):
            assert listed[0] == _default(question), (document, name)
    assert checked, f"{document} has no column {column!r} that lists values"


def test_docs_options_gives_every_default_copier_yml_defines() -> None:
    rows = _options_doc()
    for name, question in QUESTIONS.items():
        default = _default(question)
        if default is None or not is_asked(question):
            continue
        listed_first = _listed_values(rows[name], "values (default first)")[:1]
        stated = [cell.partition(": ")[2] for cell in rows[name] if cell.startswith("default: ")]
        assert listed_first == [default] or any(f"`{default}`" == cell for cell in stated), (
            name,
            default,
            rows[name],
        )


def test_a_table_split_by_a_blank_line_is_refused() -> None:
    broken = "| question | values |\n|---|---|\n| `a` | `x` |\n\n| `b` | `y` |\n"
    with pytest.raises(ValueError, match="without a header and separator"):
        tables(broken)

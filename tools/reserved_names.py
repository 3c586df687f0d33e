"""Rewrite `includes/reserved_names.yml` from the installed Python interpreters.

Run `uv run python -m tools.reserved_names` after adding a Python version to
the `python_version` question: the keyword and standard-library lists become
the union over every supported version, so a package name that would shadow a
module on any of them is refused. The dependency lists are kept as they are.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import textwrap
from collections.abc import Iterable

from tests.harness.copier_config import choice_values, questions
from tests.harness.environment import REPO_ROOT, python_interpreter

INCLUDE = REPO_ROOT / "includes" / "reserved_names.yml"

#: Only names a package could take are listed (the package_name validator
#: refuses everything else before it looks at these lists).
_PACKAGE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

_PROBE = (
    "import json, keyword, sys; print(json.dumps({"
    "'keywords': keyword.kwlist + keyword.softkwlist, "
    "'stdlib': sorted(sys.stdlib_module_names)}))"
)

_HEADER = """\
# Names a generated package may not take. Hidden questions (`when: false`):
# never asked and never written to the answers file; the package_name
# validator in copier.yml reads them. Regenerate the keyword and
# standard-library lists with `uv run python -m tools.reserved_names` when a
# Python version is added (it reads every installed version the
# python_version question offers: {versions}).
"""

_DEPENDENCIES_COMMENT = """\
# Distributions the generated projects import, plus the project's own top-level
# folders: a package with one of these names would shadow them.
"""

_DISTRIBUTIONS_COMMENT = """\
# Distributions the generated projects depend on: every direct dependency of
# every flavour (tests/test_questions.py keeps this complete) and the main ones
# they pull in. A project slug with one of these names would make the project
# depend on itself. Maintained by hand, like the list above.
"""

#: The standard library's own test package: sys.stdlib_module_names leaves
#: test modules out, but a package named `test` would still shadow it.
STDLIB_TEST_PACKAGE = "test"


def package_names(names: Iterable[str]) -> list[str]:
    """Lower-cased, deduplicated, sorted; only names a package could take."""
    return sorted({name.lower() for name in names if _PACKAGE_NAME.match(name.lower())})


def probe(version: str) -> dict[str, list[str]]:
    """Keywords and standard-library modules of the installed Python `version`."""
    output = subprocess.run(
        [python_interpreter(version), "-I", "-c", _PROBE],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data = json.loads(output)
    assert isinstance(data, dict)
    return {key: [str(name) for name in value] for key, value in data.items()}


def supported_versions() -> tuple[str, ...]:
    return choice_values(questions()["python_version"])


def _folded(name: str, words: Iterable[str], comment: str = "") -> str:
    body = textwrap.fill(
        " ".join(words),
        width=88,
        initial_indent="    ",
        subsequent_indent="    ",
        break_on_hyphens=False,
        break_long_words=False,
    )
    return f"{comment}{name}:\n  type: str\n  when: false\n  default: >-\n{body}\n"


def render(
    versions: Iterable[str], dependencies: Iterable[str], distributions: Iterable[str]
) -> str:
    versions = tuple(versions)
    keywords: set[str] = set()
    stdlib: set[str] = set()
    for version in versions:
        found = probe(version)
        keywords.update(found["keywords"])
        stdlib.update(found["stdlib"])
    stdlib.add(STDLIB_TEST_PACKAGE)
    return "\n".join(
        [
            _HEADER.format(versions=", ".join(versions))
            + _folded("python_keywords", package_names(keywords)),
            _folded("python_stdlib_modules", package_names(stdlib)),
            _folded("dependency_package_names", package_names(dependencies), _DEPENDENCIES_COMMENT),
            _folded(
                "dependency_distribution_names", sorted(set(distributions)), _DISTRIBUTIONS_COMMENT
            ),
        ]
    )


def current_list(name: str) -> list[str]:
    """A hand-maintained list as the include has it now."""
    return str(questions()[name]["default"]).split()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.reserved_names", description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the include is not up to date"
    )
    args = parser.parse_args(argv)
    text = render(
        supported_versions(),
        current_list("dependency_package_names"),
        current_list("dependency_distribution_names"),
    )
    if args.check:
        if INCLUDE.read_text(encoding="utf-8") != text:
            print(f"{INCLUDE.relative_to(REPO_ROOT)} is out of date: run without --check")
            return 1
        print(f"{INCLUDE.relative_to(REPO_ROOT)} is up to date")
        return 0
    INCLUDE.write_text(text, encoding="utf-8")
    print(f"wrote {INCLUDE.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

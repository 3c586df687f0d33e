"""Tier 2: the template source stays thin (docs/maintaining.md, "Thin Jinja").

A Python template file forks on the answers at most `IF_TAG_LIMIT` times;
an option's code lives in modules of its own, and a path chosen by the
answers says so in copier.yml's `_exclude`, never in its own name.
"""

from __future__ import annotations

import pytest

from tools.template_counts import IF_TAG_LIMIT, count

pytestmark = pytest.mark.render


def test_python_template_files_fork_at_most_the_limit() -> None:
    over = dict(count().python_files_over_limit)
    assert over == {}, (
        f"Python template files with more than {IF_TAG_LIMIT} if-tags: give the option's "
        "code a module of its own, or write the file as whole texts per answer"
    )


def test_no_template_path_carries_a_condition_in_its_name() -> None:
    assert count().conditional_names == 0, (
        "a file or folder name with a Jinja condition: name it plainly and add its "
        "line to copier.yml's _exclude"
    )

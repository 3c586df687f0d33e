"""Tier 2: the template source stays thin (docs/maintaining.md, "Thin Jinja").

A Python template file forks on the answers at most `IF_TAG_LIMIT` times;
an option's code lives in modules of its own. The files still over the
limit are listed with their counts, and the list may only shrink: a listed
file that forks more fails, and so does one that got under the limit and
is still listed (take it off).
"""

from __future__ import annotations

import pytest

from tools.template_counts import IF_TAG_LIMIT, count

pytestmark = pytest.mark.render

#: Python template files over the limit, with the if-tags they may keep until
#: they are split (issue #18); the background tasks' modules wait for their
#: one design across the three frameworks.
STILL_OVER_THE_LIMIT: dict[str, int] = {}


def test_python_template_files_fork_at_most_the_limit() -> None:
    over = dict(count().python_files_over_limit)
    grown = {
        path: f"{STILL_OVER_THE_LIMIT.get(path, IF_TAG_LIMIT)} -> {tags}"
        for path, tags in over.items()
        if tags > STILL_OVER_THE_LIMIT.get(path, IF_TAG_LIMIT)
    }
    assert grown == {}, (
        f"Python template files with more than {IF_TAG_LIMIT} if-tags (or more than they "
        "are allowed while listed): give the option's code a module of its own"
    )


def test_files_under_the_limit_leave_the_list() -> None:
    over = dict(count().python_files_over_limit)
    thin = sorted(path for path in STILL_OVER_THE_LIMIT if path not in over)
    assert thin == [], "no longer over the limit (or gone): take them off STILL_OVER_THE_LIMIT"

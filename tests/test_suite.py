"""The test suite's own machinery works as the tiers assume."""

from __future__ import annotations

import pytest

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

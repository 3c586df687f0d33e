"""Issue 16: schemathesis, a fuzzer nobody here wrote, finds nothing wrong.

Every combination of the covering set is fuzzed from its own `/openapi.json`
with every check schemathesis has (`checks = all`: server errors, status
codes, content types, response headers and schemas, negative data rejected
and positive data accepted, missing headers, unsupported methods, `Allow`,
use after free, resource availability, ignored auth and, with auth, object
level authorization between two users) in all four phases: the documented
examples, the coverage phase (boundaries and every kind of wrong value), the
fuzzing phase and the stateful phase (chains of calls along the links
schemathesis infers, such as create an item, then read, patch and delete
it).

Why the CLI in a subprocess and not the pytest plugin: the schema is only
known once the combination's live server runs (a fixture), and the plugin
builds its tests at collection time; `st run` is also exactly what a user of
a generated project runs, with the whole engine (the coverage phase, the
stateful phase, inferred links, per-user auth) and a report that names each
failure with a `curl` line to reproduce it. The test reads the run's JUnit
report and fails with its failures, the seed and the command to run again.

A failure of any check fails the test. schemathesis's warnings do not: the
expected ones say that the fuzzer's own refresh tokens are not live (401 on
refresh and logout) and that its guesses at the token form meet the login
limit (429), both as docs/contract.md section 6 says.

Bounded and reproducible: `MAX_EXAMPLES` per operation and phase, one request
at a time, the generation drawn from `SEED` (`--seed`) with no example
database carried between runs, so a run sends the same requests every time
(up to the ids the server makes). `DEADLINE` fails a run that takes too long;
schemathesis's own `--max-time` is not used, since it repeats the phases until
the time is spent, which makes what is tested depend on the machine's speed.
Change `SEED` to explore further; a failure prints the seed it was found with
and the command that runs it again.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest

from tests.contract.client import User, new_user
from tests.contract.combinations import for_combinations
from tests.contract.server import LiveServer

pytestmark = [pytest.mark.contract, for_combinations()]

#: The seed every run starts from: the same seed, the same requests.
SEED = 20261206
#: Test cases per operation in the fuzzing phase (the other phases are bounded
#: by the schema: its examples and its boundaries).
MAX_EXAMPLES = 10
#: Seconds one combination's run may take: past it the test fails.
DEADLINE = 90
PHASES = "examples,coverage,fuzzing,stateful"
_FIGURES = re.compile(
    r"^\s+Operations:|\(in [0-9.]+s\)|Scenarios:|API Links:|generated|=+ .* in [0-9.]+s =+"
)


def _config(tmp_path: Path, users: list[User]) -> Path:
    lines = [
        f"seed = {SEED}",
        "[generation]",
        'database = "none"',
        "",
        "[checks]",
        "enabled = true",
    ]
    if users:
        auth = {
            "auth": [
                {
                    "name": f"user{index}",
                    "fixedHeaders": [
                        {"name": "Authorization", "value": f"Bearer {user.access_token}"}
                    ],
                }
                for index, user in enumerate(users)
            ]
        }
        auth_file = tmp_path / "auth.json"
        auth_file.write_text(json.dumps(auth))
        peers = ", ".join(json.dumps(entry["name"]) for entry in auth["auth"])
        lines += ["", "[auth.wfc]", f"path = {json.dumps(str(auth_file))}", f"peers = [{peers}]"]
    config = tmp_path / "schemathesis.toml"
    config.write_text("\n".join(lines) + "\n")
    return config


def _command(base_url: str, config: Path, junit: Path) -> list[str]:
    return [
        str(Path(sys.executable).parent / "st"),
        "--config-file",
        str(config),
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        "all",
        "--phases",
        PHASES,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        # One request at a time: the order of the requests, and so the run, is the seed's.
        "--workers",
        "1",
        "--no-color",
        "--report",
        "junit",
        "--report-junit-path",
        str(junit),
    ]


def _failures(junit: Path) -> list[str]:
    """Each failing operation of the run's JUnit report, with schemathesis's account of it."""
    failures = []
    # The report is the one schemathesis just wrote here, not data from outside.
    for case in ElementTree.parse(junit).getroot().iter("testcase"):  # noqa: S314
        for outcome in [*case.iter("failure"), *case.iter("error")]:
            failures.append(f"{case.get('name')} [{outcome.get('message')}]\n{outcome.text or ''}")
    return failures


def test_schemathesis_finds_no_failure(
    live: LiveServer, client: httpx.Client, auth_enabled: bool, tmp_path: Path
) -> None:
    # Two users of its own, not the shared one: the fuzzer changes their
    # passwords (which revokes their refresh tokens) and may meet their login limit.
    users = [new_user(client, "fuzzed"), new_user(client, "peer")] if auth_enabled else []
    junit = tmp_path / "junit.xml"
    command = _command(live.base_url, _config(tmp_path, users), junit)
    again = f"seed {SEED}; to run it again while the server runs: {shlex.join(command)}"

    started = time.monotonic()
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=DEADLINE, check=False, cwd=tmp_path
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"schemathesis ran past its deadline of {DEADLINE} s ({again})")
    took = time.monotonic() - started

    # The figures of the run, shown with `-s` or `-rP`: operations, phases, test cases.
    figures = [line.strip() for line in result.stdout.splitlines() if _FIGURES.search(line)]
    print(f"schemathesis took {took:.1f} s: " + "; ".join(figures))
    assert junit.exists(), (
        f"schemathesis wrote no report ({again}):\n{result.stdout}{result.stderr}"
    )
    failures = _failures(junit)
    assert not failures, f"{len(failures)} operations fail ({again}):\n\n" + "\n\n".join(failures)
    assert result.returncode == 0, f"schemathesis exited {result.returncode} ({again}):\n" + (
        result.stdout[-5000:] + result.stderr[-5000:]
    )

"""The async (FastAPI) and sync (Flask) twins of the data and business layers.

FastAPI's services and repositories await SQLAlchemy's and redis-py's asyncio
APIs; Flask's call the blocking ones. Otherwise they are the same code, and a
fix made in one must reach the other. `synchronous` turns an async module into
the blocking module it should equal, so the render tier can compare them
(tests/test_twins.py); a module may differ only where `DIFFERENT_BY_DESIGN`
says why.
"""

from __future__ import annotations

import re

#: The folders of the generated package (src/<package>/) whose modules are twins.
TWIN_FOLDERS = ("services", "repositories", "web/cache.py")

#: Modules whose two versions differ on purpose, and why.
DIFFERENT_BY_DESIGN = {
    "repositories/database.py": "the async engine and its greenlet bridge have no sync twin; "
    "Flask's engine is the plain one",
    "services/passwords.py": "FastAPI hashes in a thread so the event loop keeps serving; "
    "a Flask worker thread hashes in turn, bounded by a semaphore",
    "services/readiness.py": "Flask runs the readiness probes in threads; FastAPI gathers "
    "coroutines in its health route",
    # Until the one design for background tasks (issue #18, point 4) lands.
    "services/tasks.py": "the three frameworks still have their own task designs",
    "services/welcome_email.py": "the three frameworks still have their own task designs",
    "repositories/task_runs.py": "the three frameworks still have their own task designs",
}

#: Names of the asyncio APIs and of their blocking counterparts.
_BLOCKING_NAMES = {
    "sqlalchemy.ext.asyncio": "sqlalchemy.orm",
    "AsyncSession": "Session",
    "redis.asyncio": "redis",
    "aclose": "close",
    "hash_off_loop": "hash_in_turn",
    "verify_off_loop": "verify_in_turn",
}
_ASYNC_STATEMENT = re.compile(r"\basync (def|with|for)\b")
_NAME = re.compile("|".join(rf"\b{re.escape(name)}\b" for name in _BLOCKING_NAMES))


def synchronous(source: str) -> str:
    """The blocking twin of an async module: `async` and `await` gone, and the
    parentheses that only grouped an awaited call, with the asyncio names
    replaced by the blocking ones. Formatting is left to ruff."""
    text = _ASYNC_STATEMENT.sub(r"\1", source)
    text = _without_grouped_awaits(text)
    text = text.replace("await ", "")
    return _NAME.sub(lambda match: _BLOCKING_NAMES[match.group(0)], text)


def _without_grouped_awaits(text: str) -> str:
    """`(await x).y` becomes `x.y`; a call's own parentheses, `f(await x)`, stay."""
    out: list[str] = []
    position = 0
    while (start := text.find("(await ", position)) != -1:
        grouping = start == 0 or not (text[start - 1].isalnum() or text[start - 1] in "_)]")
        if not grouping:
            out.append(text[position : start + 1])
            position = start + 1
            continue
        end = _closing_parenthesis(text, start)
        out.append(text[position:start])
        out.append(text[start + 1 : end])
        position = end + 1
    out.append(text[position:])
    return "".join(out)


def _closing_parenthesis(text: str, opening: int) -> int:
    depth = 0
    for index in range(opening, len(text)):
        if text[index] == "(":
            depth += 1
        elif text[index] == ")":
            depth -= 1
            if depth == 0:
                return index
    raise ValueError(f"unbalanced parenthesis at {opening}")

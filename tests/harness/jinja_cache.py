"""Jinja compiles a template once per process, not once per Copier render.

Copier builds a new Jinja environment for every render and compiles every
file name and file of the template again: over half of a render's time, and
the suite renders several hundred times. The compiled code depends only on
the source and on the environment's syntax settings, which this cache keys
on; environments with a `finalize` or a callable `autoescape` (whose effect
is compiled in) bypass it. So does a source that calls a filter with a new
result each time (copier.yml's development secret uses `ans_random`): Jinja's
optimizer evaluates a filter on constants once, at compile time, and a cached
compilation would hand every render the same value.

The key leaves out the file name. Copier renders from a fresh clone of the
template each time, so the same file comes with a new absolute path on every
render, and a key with it never matched: the cache served path names only.
A file name only labels the compiled code for tracebacks, which then name the
clone of the first render (includes resolve by template name, not by path).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import CodeType
from typing import cast

import jinja2

Compile = Callable[..., str | CodeType]
_original_compile = cast(Compile, jinja2.Environment.compile)
_compiled: dict[tuple[object, ...], str | CodeType] = {}
#: Filters whose result differs between calls (Jinja's and jinja2-ansible-filters').
IMPURE_FILTERS = ("random", "shuffle", "now")


def _settings(environment: jinja2.Environment) -> tuple[object, ...]:
    return (
        type(environment),
        environment.block_start_string,
        environment.block_end_string,
        environment.variable_start_string,
        environment.variable_end_string,
        environment.comment_start_string,
        environment.comment_end_string,
        environment.line_statement_prefix,
        environment.line_comment_prefix,
        environment.trim_blocks,
        environment.lstrip_blocks,
        environment.newline_sequence,
        environment.keep_trailing_newline,
        environment.optimized,
        environment.is_async,
        bool(environment.autoescape),
        tuple(sorted(environment.extensions)),
        frozenset(environment.filters),
        frozenset(environment.tests),
    )


def _calls_an_impure_filter(environment: jinja2.Environment, source: str) -> bool:
    """Whether a tag or expression of `source` may call an impure filter: any name
    that contains one (`ans_random`, `random_mac`) counts, but the text around
    the tags ("unknown", "now" in a sentence) is only copied."""
    code = "|".join(
        f"{re.escape(start)}.*?{re.escape(end)}"
        for start, end in (
            (environment.variable_start_string, environment.variable_end_string),
            (environment.block_start_string, environment.block_end_string),
        )
    )
    return any(
        impure in found.group()
        for found in re.finditer(code, source, re.DOTALL)
        for impure in IMPURE_FILTERS
    )


def _compile(  # noqa: PLR0917 (the signature of Environment.compile)
    self: jinja2.Environment,
    source: str | jinja2.nodes.Template,
    name: str | None = None,
    filename: str | None = None,
    raw: bool = False,
    defer_init: bool = False,
) -> str | CodeType:
    if (
        not isinstance(source, str)
        or self.finalize is not None
        or callable(self.autoescape)
        or _calls_an_impure_filter(self, source)
    ):
        return _original_compile(self, source, name, filename, raw, defer_init)
    key = (source, name, raw, defer_init, *_settings(self))
    if key not in _compiled:
        _compiled[key] = _original_compile(self, source, name, filename, raw, defer_init)
    return _compiled[key]


def install() -> None:
    """Route every environment's `compile` through the cache (idempotent)."""
    jinja2.Environment.compile = _compile  # type: ignore[assignment,method-assign]

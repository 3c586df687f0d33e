"""The shipped migrations build the schema from empty (pytest-django runs them
to create the test database) and match the models: no drift."""

import pytest
from django.core.management import call_command
from django.db import connection


@pytest.mark.django_db
def test_migrations_match_the_models() -> None:
    # makemigrations --check exits non-zero when a model change has no migration.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_migrations_create_the_tables() -> None:
    assert "items" in connection.introspection.table_names()

"""Throwaway task-queue and cache namespaces on the machine's shared services, one per use.

A RabbitMQ run gets its own virtual host, deleted afterwards with everything
in it. A Redis run gets its own queue name, which the projects use as the
prefix of their keys; the keys are deleted afterwards. A project with the
Redis cache gets a cache key prefix of its own, whose keys are deleted
afterwards too.
"""

from __future__ import annotations

import os
import secrets
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis

from tests.harness.environment import RABBITMQ_URL, REDIS_URL
from tests.option_space import Combination


@dataclass(frozen=True)
class BrokerNamespace:
    """What a project's settings need to use its own corner of a broker."""

    broker_url: str
    queue_name: str

    def settings(self) -> dict[str, str]:
        return {"BROKER_URL": self.broker_url, "TASK_QUEUE_NAME": self.queue_name}


def _rabbitmqctl(*arguments: str) -> None:
    """The local rabbitmqctl, or TEST_RABBITMQCTL (`docker exec rabbitmq rabbitmqctl`)."""
    configured = os.environ.get("TEST_RABBITMQCTL")
    command = shlex.split(configured) if configured else [shutil.which("rabbitmqctl") or ""]
    if not command[0]:
        raise AssertionError(
            "rabbitmqctl is not installed: the RabbitMQ tests need it (or set TEST_RABBITMQCTL)"
        )
    subprocess.run([*command, "--quiet", *arguments], check=True, capture_output=True, timeout=60)


@contextmanager
def rabbitmq_namespace(prefix: str) -> Iterator[BrokerNamespace]:
    vhost = f"{prefix}_{secrets.token_hex(4)}"
    _rabbitmqctl("add_vhost", vhost)
    try:
        _rabbitmqctl("set_permissions", "--vhost", vhost, "guest", ".*", ".*", ".*")
        yield BrokerNamespace(f"{RABBITMQ_URL.rstrip('/')}/{vhost}", vhost)
    finally:
        _rabbitmqctl("delete_vhost", vhost)


@contextmanager
def redis_namespace(prefix: str) -> Iterator[BrokerNamespace]:
    name = f"{prefix}_{secrets.token_hex(4)}"
    try:
        yield BrokerNamespace(REDIS_URL, name)
    finally:
        delete_redis_keys(f"*{name}*")


@contextmanager
def broker_namespace(broker: str, prefix: str) -> Iterator[BrokerNamespace]:
    """A fresh namespace on the shared `redis` or `rabbitmq` broker."""
    factory = rabbitmq_namespace if broker == "rabbitmq" else redis_namespace
    with factory(prefix) as namespace:
        yield namespace


def delete_redis_keys(pattern: str, url: str = REDIS_URL) -> None:
    """Delete the keys that match `pattern` in the Redis database at `url`."""
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@contextmanager
def cache_settings(combination: Combination, prefix: str) -> Iterator[dict[str, str]]:
    """REDIS_URL and a CACHE_KEY_PREFIX of its own ({} without the Redis cache)."""
    if combination.get("cache", "none") == "none":
        yield {}
        return
    key_prefix = f"{prefix}_cache_{secrets.token_hex(4)}"
    try:
        yield {"REDIS_URL": REDIS_URL, "CACHE_KEY_PREFIX": key_prefix}
    finally:
        delete_redis_keys(f"{key_prefix}:*")

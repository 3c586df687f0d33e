"""`manage.py taskworker`: django-rq's worker pool on the queue the API publishes to."""

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run a pool of RQ workers on this service's queue (TASK_QUEUE_NAME)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--num-workers", type=int, default=1, help="worker processes (default 1)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The queue's name comes from the settings, like the API's, so the two
        # always agree, whether TASK_QUEUE_NAME is set in the environment or in .env.
        call_command("rqworker-pool", *settings.RQ_QUEUES, num_workers=options["num_workers"])

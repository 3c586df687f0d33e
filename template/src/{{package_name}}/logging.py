"""Structured logging: JSON lines in production, readable lines in development.

Every record, including those of the server and libraries that use the
standard `logging` module, goes through structlog, so the request id bound
in the request's context appears on each line written while handling it.
"""

import logging
import logging.config
from typing import Any

import structlog


def configure_logging(level: str, *, json_output: bool) -> None:
    shared_processors: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if json_output
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter: dict[str, Any] = {
        "()": structlog.stdlib.ProcessorFormatter,
        "foreign_pre_chain": shared_processors,
        "processors": [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    }
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"structured": formatter},
            "handlers": {
                "stdout": {
                    "class": "logging.StreamHandler",
                    "stream": "ext://sys.stdout",
                    "formatter": "structured",
                }
            },
            "root": {"handlers": ["stdout"], "level": level},
            "loggers": {
                # The access log is written by our own middleware, with the request id.
                "uvicorn.access": {"handlers": [], "propagate": False},
                "uvicorn.error": {"handlers": [], "propagate": True},
                "uvicorn": {"handlers": [], "propagate": True},
            },
        }
    )
    structlog.configure(
        processors=[
            # Drop disabled levels before any processing is spent on them.
            structlog.stdlib.filter_by_level,
            *shared_processors,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger

import argparse
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


def start_worker(workers: int) -> Any:
    """Run the Huey consumer (queued loads, scheduled pulls, alerts, reports) in threads of
    this process. The consumer's own `start()` is not used: it takes over the signal handlers,
    and Ctrl+C must keep stopping the web server."""
    import logging

    from huey.contrib.djhuey import HUEY

    # Only the problems in the console of a commune's server: not a line per periodic task.
    logging.getLogger("huey").setLevel(logging.WARNING)
    consumer = HUEY.create_consumer(workers=workers, worker_type="thread", periodic=True)
    consumer.scheduler.start()
    for _, thread in consumer.worker_threads:
        thread.start()
    return consumer


class Command(BaseCommand):
    help = (
        "Serve the web UI with the waitress WSGI server, and on an embedded instance (no "
        "PILOTIS_REDIS_URL) the background worker in the same process. "
        "Example: pilotis serve --port 8000"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument(
            "--worker",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="Run the background worker in this process (default: yes on an embedded "
            "instance, no with PILOTIS_REDIS_URL, where `pilotis worker` processes run it).",
        )
        parser.add_argument("--workers", type=int, default=2, help="Worker threads.")

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        from pilotis.wsgi import application

        with_worker = options["worker"]
        if with_worker is None:
            with_worker = not settings.REDIS_URL
        consumer = start_worker(options["workers"]) if with_worker else None
        self.stdout.write(
            f"Pilotis : http://{options['host']}:{options['port']}/  (Ctrl+C pour arrêter)"
            + ("\nTâches de fond : dans ce processus" if consumer else "")
        )
        try:
            serve(
                application, host=options["host"], port=options["port"], threads=options["threads"]
            )
        finally:
            if consumer is not None:
                consumer.stop_flag.set()  # the threads end after their current task

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve the web UI with the waitress WSGI server. Example: pilotis serve --port 8000"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        from pilotis.wsgi import application

        self.stdout.write(
            f"Pilotis : http://{options['host']}:{options['port']}/  (Ctrl+C pour arrêter)"
        )
        serve(application, host=options["host"], port=options["port"], threads=options["threads"])

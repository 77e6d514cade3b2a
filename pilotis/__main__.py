"""The `pilotis` command: Django's command line under our name.

`pilotis init`, `pilotis demo`, `pilotis serve`, `pilotis worker`, `pilotis createtenant CODE`,
`pilotis referential update` and every Django command (`pilotis migrate`, `pilotis shell`…).
"""

import os
import sys

# Two-word commands read better for users; they map to one management command each.
ALIASES = {
    ("referential", "update"): "update_referential",
    ("referential", "load"): "load_referential",
}


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    if len(args) >= 3 and (args[1], args[2]) in ALIASES:
        args[1:3] = [ALIASES[(args[1], args[2])]]
    args[0] = "pilotis"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pilotis.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":
    main()

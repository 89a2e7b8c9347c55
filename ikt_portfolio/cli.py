"""`ikt-portfolio` console command: Django's manage.py for the installed package.

Uses the ready site's settings unless DJANGO_SETTINGS_MODULE says otherwise, so an operator can run
`ikt-portfolio migrate`, `ikt-portfolio import_population FILE` or `ikt-portfolio rqworker default`.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ikt_site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)

"""The ready site's settings plus a small document model that exercises the workflow engine on its own."""

from ikt_site.settings import *  # noqa: F403
from ikt_site.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.workflow_app"]

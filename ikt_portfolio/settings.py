"""Settings a host site imports to plug the package in (see README: "Adding to an existing site")."""

from pathlib import Path

from django.urls import reverse_lazy

# Our nb/nn translations of Unfold, django-filter, import-export and axes (which ship none). A host site adds
# this to LOCALE_PATHS, which also lets these wordings win over Django's for the msgids they share.
IKT_PORTFOLIO_LOCALE_PATHS = [Path(__file__).resolve().parent / "locale"]

IKT_PORTFOLIO_APPS = [
    "ikt_portfolio.core",
    "ikt_portfolio.members",
    "ikt_portfolio.workflow",
    "ikt_portfolio.needs",
    "ikt_portfolio.council",
    "ikt_portfolio.portfolio",
    "ikt_portfolio.costs",
    "ikt_portfolio.projects",
    "ikt_portfolio.benefits",
    "ikt_portfolio.portal",
    "ikt_portfolio.api",
]

UNFOLD = {
    "SITE_TITLE": "ikt_portfolio.core.desk.site_title",
    "SITE_HEADER": "ikt_portfolio.core.desk.site_header",
    "SITE_SYMBOL": "hub",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": True,
    "SHOW_LANGUAGES": True,
    "LANGUAGES": {"action": reverse_lazy("ikt_core:set_language")},
    "DASHBOARD_CALLBACK": "ikt_portfolio.core.desk.dashboard_callback",
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": True,
    },
}

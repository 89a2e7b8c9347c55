"""ikt_portfolio: workflow and portfolio management for Norwegian inter-municipal ICT collaborations.

Add the apps in `ikt_portfolio.settings.IKT_PORTFOLIO_APPS` to INSTALLED_APPS and
`path("", include("ikt_portfolio.urls"))` to the site's urls; `ikt_site` is a ready site that does so.
"""

__version__ = "0.1.0"

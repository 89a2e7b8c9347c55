"""The REST API: each app owns its serializers and viewsets and registers them here."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from ikt_portfolio.benefits import api as benefits_api
from ikt_portfolio.costs import api as costs_api
from ikt_portfolio.council import api as council_api
from ikt_portfolio.members import api as members_api
from ikt_portfolio.needs import api as needs_api
from ikt_portfolio.portfolio import api as portfolio_api
from ikt_portfolio.projects import api as projects_api
from ikt_portfolio.workflow import api as workflow_api

router = DefaultRouter()
members_api.register(router)
workflow_api.register(router)
needs_api.register(router)
portfolio_api.register(router)
projects_api.register(router)
council_api.register(router)
costs_api.register(router)
benefits_api.register(router)

urlpatterns = [
    path("v1/", include(router.urls)),
    path("v1/workflow/", include(workflow_api.urlpatterns)),
    path("v1/reports/", include("ikt_portfolio.needs.api_reports")),
    path("token/", obtain_auth_token, name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]

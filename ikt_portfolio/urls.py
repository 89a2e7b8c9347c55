from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("desk/", admin.site.urls),
    path("api/", include("ikt_portfolio.api.urls")),
    path("", include("ikt_portfolio.core.urls")),
]

from django.urls import include, path

urlpatterns = [
    path("", include("ikt_portfolio.urls")),
]

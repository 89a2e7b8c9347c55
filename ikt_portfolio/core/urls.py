from django.urls import path

from . import views

app_name = "ikt_core"

urlpatterns = [
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("health/", views.health, name="health"),
]

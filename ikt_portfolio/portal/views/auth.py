"""Logging in and out of the portal: municipal staff need no Desk access to report and follow needs."""

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from ..forms import LoginForm


class LoginView(auth_views.LoginView):
    template_name = "ikt_portal/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True
    next_page = reverse_lazy("ikt_portal:needs")


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("ikt_portal:login")

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="ikt_portal:needs", permanent=False)),
    # Password reset for Desk users, by e-mail (the Desk login links to it).
    path("desk/password_reset/", auth_views.PasswordResetView.as_view(), name="admin_password_reset"),
    path("desk/password_reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("desk/", admin.site.urls),
    path("portal/", include("ikt_portfolio.portal.urls")),
    path("api/", include("ikt_portfolio.api.urls")),
    path("", include("ikt_portfolio.core.urls")),
]

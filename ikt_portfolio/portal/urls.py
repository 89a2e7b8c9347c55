from django.urls import path

from . import views

app_name = "ikt_portal"

urlpatterns = [
    path("", views.need_list, name="needs"),
    path("needs/new/", views.report_need, name="report"),
    path("needs/<int:pk>/", views.need_detail, name="need"),
    path("needs/<int:pk>/comment/", views.add_comment, name="comment"),
    path("needs/<int:pk>/co-sign/", views.co_sign, name="co_sign"),
    path("needs/<int:pk>/follow/", views.follow, name="follow"),
    path("needs/<int:pk>/action/", views.perform_action, name="action"),
    path("collaboration/", views.choose_collaboration, name="collaboration"),
]

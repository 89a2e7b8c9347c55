from django.urls import path

from .views import attachments, auth, meetings, needs, reports, sector
from .views import costs as costs_views
from .views import portfolio as portfolio_views

app_name = "ikt_portal"

urlpatterns = [
    path("", needs.need_list, name="needs"),
    path("needs.<str:extension>", needs.need_list_download, name="needs_download"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("needs/new/", needs.report_need, name="report"),
    path("needs/<int:pk>/", needs.need_detail, name="need"),
    path("needs/<int:pk>/comment/", needs.add_comment, name="comment"),
    path("needs/<int:pk>/co-sign/", needs.co_sign, name="co_sign"),
    path("needs/<int:pk>/follow/", needs.follow, name="follow"),
    path("needs/<int:pk>/action/", needs.perform_action, name="action"),
    path("needs/<int:pk>/vote/", needs.vote, name="vote"),
    path("needs/<int:pk>/attachments/", attachments.upload, name="attach"),
    path("needs/<int:pk>/attachments/<int:attachment_pk>/", attachments.download, name="attachment"),
    path("needs/<int:pk>/attachments/<int:attachment_pk>/remove/", attachments.remove, name="remove_attachment"),
    path("needs/<int:pk>/assessment/", sector.assess_need, name="assess"),
    path("sector/", sector.sector_queue, name="sector_queue"),
    path("sector/<int:service_area_id>/ranking/", sector.ranking, name="ranking"),
    path("meetings/", meetings.meeting_list, name="meetings"),
    path("meetings/<int:pk>/", meetings.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/meeting.ics", meetings.meeting_ics, name="meeting_ics"),
    path("meetings/<int:pk>/papers/", meetings.add_paper, name="meeting_add_paper"),
    path("meetings/<int:pk>/papers/<int:paper_pk>/", meetings.paper, name="meeting_paper"),
    path("meetings/<int:pk>/papers/<int:paper_pk>/remove/", meetings.remove_paper, name="meeting_remove_paper"),
    path("reports/equity/", reports.equity, name="report_equity"),
    path("reports/equity/<str:extension>/", reports.equity_download, name="report_equity_download"),
    path("reports/response-times/", reports.response_times, name="report_response_times"),
    path(
        "reports/response-times/<str:extension>/",
        reports.response_times_download,
        name="report_response_times_download",
    ),
    path("portfolio/", portfolio_views.proposal, name="portfolio"),
    path("portfolio/compare/", portfolio_views.compare, name="portfolio_compare"),
    path("portfolio/roadmap/", portfolio_views.roadmap, name="portfolio_roadmap"),
    path("portfolio/dashboard/", portfolio_views.dashboard, name="portfolio_dashboard"),
    path("portfolio/scenarios/<int:pk>/", portfolio_views.scenario, name="portfolio_scenario"),
    path("portfolio/scenarios/<int:pk>/lock/", portfolio_views.lock, name="portfolio_lock"),
    path("portfolio/scenarios/<int:pk>/solve/", portfolio_views.solve, name="portfolio_solve"),
    path("portfolio/<str:period>/", portfolio_views.proposal, name="portfolio_period"),
    path("portfolio/<str:period>/scenarios/", portfolio_views.new_scenario, name="portfolio_new_scenario"),
    path("costs/", costs_views.member_costs, name="costs"),
    path("costs/compare/", costs_views.compare, name="costs_compare"),
    path("costs/export.xlsx", costs_views.export, name="costs_export"),
    path("collaboration/", needs.choose_collaboration, name="collaboration"),
]

from django.conf import settings
from django.utils.translation import check_for_language
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language


@require_POST
def set_language(request):
    """Django's set_language, and for signed-in people also remember the choice on their Person."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if language in dict(settings.LANGUAGES) and check_for_language(language) and request.user.is_authenticated:
        person = getattr(request.user, "person", None) if hasattr(request.user, "person") else None
        if person is not None and person.language != language:
            person.language = language
            person.save(update_fields=["language"])
    return response


def health(request):
    """For load balancers and operators: is the database reachable, is Redis reachable?"""
    from django.db import connection
    from django.http import JsonResponse

    status = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        status["database"] = "ok"
    except Exception as error:  # the answer is the point: report any failure
        status["database"] = f"error: {error.__class__.__name__}"
    try:
        import django_rq

        django_rq.get_connection("default").ping()
        status["redis"] = "ok"
    except Exception as error:
        status["redis"] = f"error: {error.__class__.__name__}"
    healthy = all(value == "ok" for value in status.values())
    return JsonResponse(status, status=200 if healthy else 503)

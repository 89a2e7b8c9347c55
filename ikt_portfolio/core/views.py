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

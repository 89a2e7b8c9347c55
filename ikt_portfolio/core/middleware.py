from django.utils import translation


class UserLanguageMiddleware:
    """Show the Desk and portal in the language the signed-in user chose (stored on their Person).

    Runs after AuthenticationMiddleware; an explicit ?lang= is not supported on purpose, the language
    switcher stores the choice instead.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = self._user_language(request)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)

    @staticmethod
    def _user_language(request) -> str | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        person = getattr(user, "person", None) if hasattr(user, "person") else None
        return person.language if person is not None else None

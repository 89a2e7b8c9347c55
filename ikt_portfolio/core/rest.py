"""REST framework settings hooks (kept apart from api.py: DRF imports these while it starts up)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import pagination, permissions
from rest_framework.authentication import TokenAuthentication as _TokenAuthentication

from .errors import DomainError


class Pagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class ScopedModelPermissions(permissions.DjangoModelPermissions):
    """Model permissions (including view for reads) from the user's capacities; object edits only where the
    user administers the row's collaboration."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": [],
    }

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        return type(obj)._default_manager.editable_by(request.user).filter(pk=obj.pk).exists()


def exception_handler(exc, context):
    """DRF's handler, with Django's ValidationError (from a service) turned into a 400 with its messages."""
    from rest_framework import serializers
    from rest_framework.response import Response
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, DomainError):
        return Response({"detail": exc.message}, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = serializers.ValidationError(serializers.as_serializer_error(exc))
    return drf_exception_handler(exc, context)


class TokenAuthentication(_TokenAuthentication):
    """Token authentication that also switches to the person's chosen language: token clients are
    authenticated after the middleware that does this for browser sessions has run."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            from django.utils import translation

            person = getattr(result[0], "person", None) if hasattr(result[0], "person") else None
            if person is not None and not request.META.get("HTTP_ACCEPT_LANGUAGE"):
                translation.activate(person.language)
                request._request.LANGUAGE_CODE = person.language
        return result

"""Base classes of every app's API: model validation in serializers, scoped viewsets."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, viewsets

from .audit import acting_as


class ModelCleanSerializer(serializers.ModelSerializer):
    """Runs the model's own validation (clean, constraints) so the API refuses what the Desk refuses, and
    refuses to create or move a row into a collaboration the user does not administer."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        from ikt_portfolio.members.permissions import can_edit

        model = self.Meta.model
        instance = self.instance or model()
        for name, value in attrs.items():
            field = model._meta.get_field(name)
            if not (field.many_to_many or field.one_to_many):
                setattr(instance, name, value)
        try:
            instance.full_clean(exclude=[f for f in self._excluded_from_clean(model)])
        except DjangoValidationError as error:
            raise serializers.ValidationError(serializers.as_serializer_error(error)) from error
        request = self.context.get("request")
        if request is not None and not can_edit(request.user, instance):
            raise exceptions.PermissionDenied(_("You can only change data of collaborations you administer."))
        return attrs

    def _excluded_from_clean(self, model):
        return [f.name for f in model._meta.get_fields() if f.name not in self.fields and f.concrete]


class ScopedModelViewSet(viewsets.ModelViewSet):
    """Lists what the user may see (the model's `visible_to`); `selector` adds the joins a page needs."""

    def get_queryset(self):
        return self.queryset.all().visible_to(self.request.user)

    def perform_create(self, serializer):
        with transaction.atomic(), acting_as(api_capacity(self.request.user)):
            serializer.save()

    def perform_update(self, serializer):
        with transaction.atomic(), acting_as(api_capacity(self.request.user)):
            serializer.save()

    def perform_destroy(self, instance):
        with transaction.atomic(), acting_as(api_capacity(self.request.user)):
            instance.delete()


def api_capacity(user) -> str:
    from .admin import desk_capacity

    return desk_capacity(user)

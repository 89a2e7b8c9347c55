from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q

from .permissions import grants_of


class CapacityPermissionBackend(ModelBackend):
    """Model permissions from the groups a user is in, plus the groups named after the capacities they hold
    today. Capacities are dated, so permissions follow council seats and role assignments without anyone
    having to edit group membership when a term ends."""

    def _get_group_permissions(self, user_obj):
        capacities = {grant.capacity for grant in grants_of(user_obj)}
        return Permission.objects.filter(Q(group__user=user_obj) | Q(group__name__in=capacities)).distinct()

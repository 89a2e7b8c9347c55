from .services import ensure_capacity_groups


def create_capacity_groups(sender, **kwargs):
    ensure_capacity_groups()

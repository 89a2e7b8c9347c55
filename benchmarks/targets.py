"""What the benchmark requests. Later issues append their pages to `TARGETS`.

A target is a GET through the real URL routing, middleware, views and templates (Django's test `Client`).
`path` may name objects the generator recorded in `Context.ids`, e.g. "{collaboration}"; `users` are keys
of `Context.users`: "operator" (superuser), "admin" (collaboration administrator of the largest
collaboration) and "member" (a plain sector representative there). Every request must answer 200.
"""

from dataclasses import dataclass

ALL_USERS = ("operator", "admin", "member")


@dataclass(frozen=True)
class Target:
    name: str  # the row label in RESULTS.md
    path: str  # formatted with Context.ids
    users: tuple[str, ...] = ALL_USERS
    api: bool = False  # sends Accept: application/json

    def url(self, ids: dict) -> str:
        return self.path.format(**ids)


def desk_changelist(app_label: str, model_name: str, **kwargs) -> Target:
    return Target(f"Desk {model_name} list", f"/desk/{app_label}/{model_name}/", **kwargs)


def api_list(resource: str, **kwargs) -> Target:
    return Target(f"API {resource}", f"/api/v1/{resource}/", api=True, **kwargs)


TARGETS: list[Target] = [
    Target("Desk index", "/desk/"),
    *(
        desk_changelist("ikt_members", model)
        for model in (
            "municipality",
            "populationfigure",
            "membership",
            "person",
            "bodymembership",
            "roleassignment",
            "body",
            "collaboration",
        )
    ),
    Target("Desk collaboration change", "/desk/ikt_members/collaboration/{collaboration}/change/"),
    Target("Desk body change (board)", "/desk/ikt_members/body/{body}/change/"),
    *(
        api_list(resource)
        for resource in (
            "municipalities",
            "population-figures",
            "memberships",
            "people",
            "body-memberships",
            "role-assignments",
            "collaborations",
            "bodies",
        )
    ),
]

"""What the benchmark requests. Later issues append their pages to `TARGETS`.

A target is a GET through the real URL routing, middleware, views and templates (Django's test `Client`).
`path` may name objects the generator recorded in `Context.ids`, e.g. "{collaboration}"; `users` are keys
of `Context.users`: "operator" (superuser), "admin" (collaboration administrator of the largest
collaboration), "member" (a plain sector representative there), "lead" (the sector lead of its first
service area) and "council" (a voting member of its portfolio council). Every request must answer 200.
An `optional` target whose path does not resolve (a route another issue is still adding) is skipped.
"""

from dataclasses import dataclass

ALL_USERS = ("operator", "admin", "member")
WORKFLOW_USERS = ("lead", "council")


@dataclass(frozen=True)
class Target:
    name: str  # the row label in RESULTS.md
    path: str  # formatted with Context.ids
    users: tuple[str, ...] = ALL_USERS
    api: bool = False  # sends Accept: application/json
    optional: bool = False  # skipped (not failed) when the path does not resolve

    def url(self, ids: dict) -> str:
        return self.path.format(**ids)


def desk_changelist(app_label: str, model_name: str, **kwargs) -> Target:
    return Target(f"Desk {model_name} list", f"/desk/{app_label}/{model_name}/", **kwargs)


def api_list(resource: str, **kwargs) -> Target:
    return Target(f"API {resource}", f"/api/v1/{resource}/", api=True, **kwargs)


TARGETS: list[Target] = [
    Target("Desk index", "/desk/", users=ALL_USERS + WORKFLOW_USERS),  # shows the inbox card
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
    # Needs and the workflow engine (issues 3 and 4).
    desk_changelist("ikt_needs", "need"),
    Target("Desk need change (rich)", "/desk/ikt_needs/need/{need}/change/", users=("lead", "council", "admin")),
    Target("Desk inbox", "/desk/ikt_workflow/workflow/inbox/", users=("lead", "council", "admin")),
    Target(
        "API workflow inbox", "/api/v1/workflow/inbox/", users=("lead", "council", "admin"), api=True, optional=True
    ),
    # The portal and the sector queues at national scale (issue 4). The largest collaboration is also the
    # busiest (about 360 needs); "{need}" is its need at the council with every member co-signing, 40
    # comments and a long timeline; "{service_area}" is its first service area (the lead's).
    Target("Portal need list", "/portal/", users=ALL_USERS + ("lead",)),
    Target("Portal need list, filtered", "/portal/?state=in_sector_group&service_area={service_area}&q=digital"),
    Target("Portal need list, page 5", "/portal/?page=5"),
    Target("Portal need list, mine", "/portal/?scope=municipality", users=("member",)),
    Target("Portal need page (rich)", "/portal/needs/{need}/", users=ALL_USERS + WORKFLOW_USERS),
    Target("Portal need page (plain)", "/portal/needs/{plain_need}/", users=ALL_USERS + WORKFLOW_USERS),
    Target("Desk need change (plain)", "/desk/ikt_needs/need/{plain_need}/change/", users=("lead", "council", "admin")),
    Target("Desk sector queue", "/desk/ikt_needs/assessment/sector-queue/", users=("lead", "member")),
    Target("Portal sector queue", "/portal/sector/", users=("lead", "member"), optional=True),
    Target("Portal sector queue, page 2", "/portal/sector/?area={service_area}&page=2", users=("lead",), optional=True),
    api_list("needs"),
    Target(
        "API needs, filtered",
        "/api/v1/needs/?state=in_sector_group&service_area={service_area}&search=digital",
        api=True,
    ),
]

# The portfolio plan (issue 5): this year's proposal (every recommended need ranked, with its breakdown), the
# roadmap and the dashboard, on the portal and in the API. The solver's own timing is benchmarks/solver.py.
TARGETS += [
    Target("Portal portfolio proposal", "/portal/portfolio/", users=ALL_USERS + ("council",), optional=True),
    Target("Portal portfolio dashboard", "/portal/portfolio/dashboard/", optional=True),
    Target("Portal portfolio roadmap", "/portal/portfolio/roadmap/", optional=True),
    Target(
        "API portfolio proposal", "/api/v1/portfolio/proposal/?collaboration={collaboration}", api=True, optional=True
    ),
    Target(
        "API portfolio dashboard", "/api/v1/portfolio/dashboard/?collaboration={collaboration}", api=True, optional=True
    ),
]

# Projects, costs and council meetings (issues 6–8). The largest collaboration has about 1 000 projects in the KS
# phase routing; "{project}" has every member participating, five years of budget lines, 24 status reports and
# 30 risks, "{plain_project}" one member and nothing recorded (seen by the operator and the administrator).
# "{meeting}" is its portfolio council's upcoming meeting with a 40-item agenda (the council's seats take part).
MEETING_USERS = ("operator", "admin", "council")
TARGETS += [
    Target("Portal project list", "/portal/projects/", optional=True),
    Target(
        "Portal project list, filtered",
        "/portal/projects/?state=gjennomforing&service_area={service_area}&q=digital",
        optional=True,
    ),
    Target("Portal project list, page 5", "/portal/projects/?page=5", optional=True),
    Target("Portal project page (rich)", "/portal/projects/{project}/", optional=True),
    Target(
        "Portal project page (plain)", "/portal/projects/{plain_project}/", users=("operator", "admin"), optional=True
    ),
    api_list("projects", optional=True),
    Target("API project (rich)", "/api/v1/projects/{project}/", api=True, optional=True),
    Target("Portal meeting list", "/portal/meetings/", users=MEETING_USERS, optional=True),
    Target("Portal meeting list, past", "/portal/meetings/?when=past", users=MEETING_USERS, optional=True),
    Target("Portal meeting page (40 items)", "/portal/meetings/{meeting}/", users=MEETING_USERS, optional=True),
    api_list("meetings", users=MEETING_USERS, optional=True),
    Target("Portal costs", "/portal/costs/", users=("admin", "member"), optional=True),
    Target(
        "API member costs",
        "/api/v1/costs/budget-lines/member-costs/?collaboration={collaboration}&municipality={municipality}",
        users=("admin", "member"),
        api=True,
        optional=True,
    ),
]

# Benefits realisation (issue 7). "{municipality}" is the largest collaboration's largest member (by population),
# "{small_municipality}" its smallest; each takes part in many of the 1 000 projects, whose benefits have five years
# of monthly measurements per member (60 per target). The report reads only the latest value in the year.
# benefit_large / benefit_small: those members' benefit owners; member_small: a plain sector representative of the
# small one. "{report_year}" is last year (the year chooser).
BENEFIT_USERS_LARGE = ("benefit_large", "member")
BENEFIT_USERS_SMALL = ("benefit_small", "member_small")
TARGETS += [
    Target("Portal benefits report (large member)", "/portal/benefits/", users=BENEFIT_USERS_LARGE),
    Target("Portal benefits report (small member)", "/portal/benefits/", users=BENEFIT_USERS_SMALL),
    Target("Portal benefits report, last year", "/portal/benefits/?year={report_year}", users=("benefit_large",)),
    Target(
        "Portal benefits report, chosen large member", "/portal/benefits/?municipality={municipality}", users=("admin",)
    ),
    Target(
        "Portal benefits report, chosen small member",
        "/portal/benefits/?municipality={small_municipality}&year={report_year}",
        users=("admin",),
    ),
    Target(
        "API benefits member report (large member)",
        "/api/v1/benefits/benefits/member-report/?collaboration={collaboration}&municipality={municipality}",
        users=("admin", "benefit_large"),
        api=True,
    ),
    Target(
        "API benefits member report (small member)",
        "/api/v1/benefits/benefits/member-report/?collaboration={collaboration}&municipality={small_municipality}",
        users=("benefit_small",),
        api=True,
    ),
    Target(
        "Portal benefit measurements",
        "/portal/benefits/measurements/",
        users=("benefit_large", "benefit_small", "admin"),
    ),
    Target("Portal benefit measurements, page 20", "/portal/benefits/measurements/?page=20", users=("admin",)),
]

# Portfolio-wide benefits pages (issue 7, built alongside): optional while their routes are being added.
TARGETS += [
    Target("Portal benefits portfolio", "/portal/benefits/portfolio/", users=("admin", "benefit_large"), optional=True),
    Target("Portal benefits over time", "/portal/benefits/over-time/", users=("admin", "benefit_large"), optional=True),
    Target(
        "Portal project benefits over time (rich)",
        "/portal/projects/{project}/benefits/",
        users=("admin", "benefit_large"),
        optional=True,
    ),
]

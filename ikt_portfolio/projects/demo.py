"""Demo: both phase routings (the KS guide's active), and projects made from the demo's approved needs through
`services.create_project_from_needs` in different phases (gates passed by the owner and by the board), one
member opting out with its reason and one postponing, budget lines split by the demo's cost-sharing keys,
status reports and risks. The data is in `<fixtures_dir>/projects.yaml`."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ikt_portfolio.core.demo import DemoDataError, demo_reset, demo_step, read_yaml_fixture
from ikt_portfolio.core.errors import DomainError
from ikt_portfolio.workflow import services as workflow

from . import services
from .models import Project

FIXTURE_FILE = "projects.yaml"


def _user(context, username):
    user = context["users"].get(username)
    if user is None:
        raise DemoDataError(_("The demo user %(username)s does not exist.") % {"username": username})
    return user


def _tick(project, owner) -> None:
    for item, _answer in services.checklist(project):
        services.answer_checklist(project, item, owner, done=True)


def _gates(context, project, owner, gates) -> None:
    for gate in gates:
        _tick(project, owner)
        if gate[1] == "vote":
            for username in gate[2]:
                workflow.vote(project, gate[0], _user(context, username), "yes", comment=gate[3])
        else:
            workflow.act(project, gate[0], _user(context, gate[1]), comment=gate[2])
        project.refresh_from_db()


def _backdate(need, project) -> None:
    """The conversion as if it happened a week after the board's approval (the needs' demo dates its steps
    the same way, with an explicit UPDATE): the need's convert step, its notifications and the project's start."""
    from django.contrib.contenttypes.models import ContentType

    from ikt_portfolio.workflow.models import Notification, TransitionLog

    logs = TransitionLog.objects.of(need)
    approved_at = logs.filter(to_state="approved").order_by("-at").values_list("at", flat=True).first()
    if approved_at is None:
        return
    moment = min(approved_at + datetime.timedelta(days=7), timezone.now() - datetime.timedelta(days=1))
    logs.filter(action="convert").update(at=moment)
    type(need).objects.filter(pk=need.pk).update(state_entered_at=moment, updated_at=moment)
    need_type = ContentType.objects.get_for_model(need)
    Notification.objects.filter(content_type=need_type, object_id=need.pk, created_at__gt=moment).update(
        created_at=moment
    )
    TransitionLog.objects.of(project).filter(action="start").update(at=moment)
    Project.objects.filter(pk=project.pk).update(created_at=moment)


def _record(project, owner, spec, keys, today) -> None:
    for line in spec.get("budget", []):
        services.set_budget_line(
            project,
            owner,
            year=today.year + int(line["year"]),
            kind=line["kind"],
            amount=Decimal(str(line["amount"])),
            key=keys.get(line.get("key")),
        )
    for cost in spec.get("actual_costs", []):
        services.add_actual_cost(
            project,
            owner,
            date=today - datetime.timedelta(days=int(cost["days_ago"])),
            amount=Decimal(str(cost["amount"])),
            description=cost["description"],
        )
    for report in spec.get("status_reports", []):
        services.add_status_report(project, owner, **report)
    for risk in spec.get("risks", []):
        services.add_risk(project, owner, **risk)


@demo_step(
    order=40,
    label=gettext_lazy("Projects: the phase routings, and projects made from approved needs, in different phases."),
)
def load_projects(context: dict, out) -> None:
    from ikt_portfolio.costs.models import CostKey
    from ikt_portfolio.needs.models import Need

    data = read_yaml_fixture(context, FIXTURE_FILE, {"projects": list})
    collaboration = context["collaboration"]
    owner = _user(context, data.get("owner", "prosjekteier"))
    manager_user = context["users"].get(data.get("manager", ""))
    today = timezone.localdate()
    keys = {key.name: key for key in CostKey.objects.filter(collaboration=collaboration)}
    try:
        for index, name in enumerate(data.get("phase_workflows", ["ks"])):
            services.install_phase_workflow(collaboration, name, activate=index == 0)
        approved = list(Need.objects.filter(collaboration=collaboration, state="approved").order_by("number"))
        usable = approved[: max(len(approved) - int(data.get("keep_approved", 0)), 0)]
        made = []
        for need, spec in zip(usable, data["projects"], strict=False):
            project = services.create_project_from_needs(
                [need], owner, manager=getattr(manager_user, "person", None), comment=_("Approved by the board.")
            )
            participations = list(project.participations.select_related("municipality").order_by("pk"))
            for participation in participations:
                services.set_participation(project, participation.municipality, owner, status="participates")
            others = [p for p in participations if p.municipality_id != need.municipality_id]
            if spec.get("opt_out") and others:
                services.set_participation(
                    project, others[-1].municipality, owner, status="opts_out", reason=spec["opt_out"]["reason"]
                )
            elif spec.get("postpone") and others:
                services.set_participation(
                    project,
                    others[-1].municipality,
                    owner,
                    status="postpones",
                    postponed_until=today + datetime.timedelta(days=int(spec["postpone"]["days"])),
                )
            _backdate(need, project)
            _record(project, owner, spec, keys, today)
            _gates(context, project, owner, spec.get("gates", []))
            made.append(project)
    except (ValidationError, DomainError, KeyError, TypeError) as error:
        raise DemoDataError(
            _("The demo fixture %(path)s cannot be read: %(error)s")
            % {"path": context["fixtures_dir"] / FIXTURE_FILE, "error": getattr(error, "message", error)}
        ) from error
    line = ngettext(
        "%(count)d project, in phases: %(phases)s",
        "%(count)d projects, in phases: %(phases)s",
        len(made),
    ) % {"count": len(made), "phases": ", ".join(str(workflow.current_state(p)) for p in made)}
    out.write("  " + line + "\n")


@demo_reset(order=40, label=gettext_lazy("Projects: the demo collaboration's projects and gate checklists."))
def reset_projects(context: dict, out) -> None:
    from django.contrib.contenttypes.models import ContentType

    from ikt_portfolio.members.demo import read_fixture
    from ikt_portfolio.workflow.models import Ballot, TransitionLog

    short_name = read_fixture(context)["collaboration"]["short_name"]
    projects = Project.objects.filter(collaboration__short_name=short_name)
    content_type = ContentType.objects.get_for_model(Project)
    ids = list(projects.values_list("pk", flat=True))
    TransitionLog.objects.filter(content_type=content_type, object_id__in=ids).delete()
    Ballot.objects.filter(content_type=content_type, object_id__in=ids).delete()
    _total, counts = projects.delete()
    count = counts.get(Project._meta.label, 0)
    line = ngettext("%(count)d project deleted", "%(count)d projects deleted", count) % {"count": count}
    out.write("  " + line + "\n")

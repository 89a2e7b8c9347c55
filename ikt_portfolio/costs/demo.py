"""Demo: two cost-sharing keys of the demo collaboration (50/50 equal and population on the demo's population year,
and a fixed percentage per member) and its annual budget lines for last year and this year, all checked by the
same rules as the Desk (`full_clean`, `services.allocate`). The data is in `<fixtures_dir>/costs.yaml`."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ikt_portfolio.core.demo import DemoDataError, demo_reset, demo_step, read_yaml_fixture
from ikt_portfolio.members.models import Municipality

from . import services
from .models import AnnualBudgetLine, CostKey, CostKeyShare

FIXTURE_FILE = "costs.yaml"


def _save(instance):
    instance.full_clean()
    instance.save()
    return instance


@demo_step(order=32, label=gettext_lazy("Costs: two cost-sharing keys and the annual budget lines."))
def load_costs(context: dict, out) -> None:
    data = read_yaml_fixture(context, FIXTURE_FILE, {"keys": list})
    collaboration = context["collaboration"]
    path = context["fixtures_dir"] / FIXTURE_FILE
    keys = {}
    try:
        for spec in data["keys"]:
            spec = dict(spec)
            percents = spec.pop("percent", {})
            for field in ("equal_percent", "population_percent"):
                if field in spec:
                    spec[field] = Decimal(str(spec[field]))
            key = _save(CostKey(collaboration=collaboration, **spec))
            by_number = Municipality.objects.in_bulk(list(percents), field_name="number")
            for number, percent in percents.items():
                _save(CostKeyShare(key=key, municipality=by_number[number], percent=Decimal(str(percent))))
            keys[key.name] = key
        this_year = timezone.localdate().year
        lines = []
        for spec in data.get("budget_lines", []):
            line = _save(
                AnnualBudgetLine(
                    collaboration=collaboration,
                    year=this_year + int(spec["year"]),
                    name=spec["name"],
                    kind=spec["kind"],
                    amount=Decimal(str(spec["amount"])),
                    key=keys[spec["key"]],
                )
            )
            services.allocate(line.amount, line.key, year=line.year)  # refuses what a member would see refused
            lines.append(line)
    except (ValidationError, KeyError, TypeError, ValueError) as error:
        message = " ".join(error.messages) if isinstance(error, ValidationError) else repr(error)
        raise DemoDataError(
            _("The demo fixture %(path)s cannot be read: %(error)s") % {"path": path, "error": message}
        ) from error
    context["cost_keys"] = keys
    line = ngettext(
        "%(keys)d keys; %(count)d annual budget line",
        "%(keys)d keys; %(count)d annual budget lines",
        len(lines),
    ) % {"keys": len(keys), "count": len(lines)}
    out.write(f"  {line}\n")


@demo_reset(order=32, label=gettext_lazy("Costs: the demo collaboration's keys and budget lines."))
def reset_costs(context: dict, out) -> None:
    from ikt_portfolio.members.demo import read_fixture

    short_name = read_fixture(context)["collaboration"]["short_name"]
    AnnualBudgetLine.objects.filter(collaboration__short_name=short_name).delete()
    keys = CostKey.objects.filter(collaboration__short_name=short_name)
    keys.update(replaces=None)
    _total, counts = keys.delete()
    count = counts.get(CostKey._meta.label, 0)
    out.write("  " + ngettext("%(count)d key deleted", "%(count)d keys deleted", count) % {"count": count} + "\n")

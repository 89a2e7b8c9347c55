"""The demo data registry behind `manage.py load_demo` (`make demo`).

Each app of the package may have a `demo` module that registers its part of the demo:

    from django.utils.translation import gettext as _, gettext_lazy, ngettext

    from ikt_portfolio.core.demo import demo_step

    @demo_step(order=20, label=gettext_lazy("Needs: the needs reported by the demo people"))
    def load_needs(context: dict, out) -> None:
        collaboration = context["collaboration"]      # put there by an earlier step
        ...
        out.write("  " + ngettext("%(count)d need", "%(count)d needs", count) % {"count": count} + "\\n")

Steps run in `order` (members is 10; leave gaps) inside one transaction and inside `acting_as("demo")`, so
the audit trail shows where the rows came from. They share one `context` dict: it starts with
`fixtures_dir` (a Path) and every step adds what later steps need. A step reads its data from files in
`fixtures_dir`, so the data stays data and the code stays code.

Three optional hooks make the command idempotent and able to start over:
- `@demo_loaded`: `func(context) -> bool`, true when that app's demo data is already in the database;
- `@demo_reset(order)`: `func(context, out)`, deletes that app's demo data; resets run in reverse order,
  so later apps remove the rows that point at earlier apps' rows first;
- `@demo_summary(order)`: `func(context, out)`, prints what a demo user needs to know (e.g. the logins).

`out` is anything with `write(str)`; write whole lines ending in "\\n".

Everything a step prints is translatable: English msgids in `gettext`/`ngettext` with named placeholders, so
the output comes in the active language (bokmål for `manage.py`, which runs with LANGUAGE_CODE active). The
`label` of a step or reset (a `gettext_lazy` string) is printed before it runs; without one the first line
of the function's docstring is printed instead.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

import yaml
from django.apps import apps
from django.db import transaction
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext as _

from .audit import acting_as

DEMO_CAPACITY = "demo"
PACKAGE_PREFIX = "ikt_portfolio."


class DemoDataError(Exception):
    """The demo fixtures are missing, malformed or clash with data already in the database."""


def read_yaml_fixture(context: dict, file_name: str, required: dict[str, type] | None = None) -> dict:
    """The demo fixture `file_name` (a YAML mapping in the fixtures folder), with `required` keys of the given
    types; DemoDataError naming the file otherwise."""
    path = context["fixtures_dir"] / file_name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise DemoDataError(
            _("The demo fixture %(path)s cannot be read: %(error)s") % {"path": path, "error": error}
        ) from error
    wrong = [key for key, kind in (required or {}).items() if not isinstance((data or {}).get(key), kind)]
    if not isinstance(data, dict) or wrong:
        raise DemoDataError(
            _("The demo fixture %(path)s cannot be read: %(error)s") % {"path": path, "error": ", ".join(wrong) or "{}"}
        )
    return data


@dataclass
class _Registry:
    steps: dict[str, tuple[int, Callable]] = field(default_factory=dict)
    resets: dict[str, tuple[int, Callable]] = field(default_factory=dict)
    summaries: dict[str, tuple[int, Callable]] = field(default_factory=dict)
    loaded_checks: dict[str, Callable] = field(default_factory=dict)


_registry = _Registry()


def _key(func: Callable) -> str:
    # Keyed by qualified name, so re-importing a module replaces its hooks instead of doubling them.
    return f"{func.__module__}.{func.__qualname__}"


def _sorted(hooks: dict[str, tuple[int, Callable]], reverse: bool = False) -> list[tuple[int, Callable]]:
    return sorted(hooks.values(), key=lambda item: (item[0], _key(item[1])), reverse=reverse)


def demo_step(order: int, label=None):
    """Register `func(context, out) -> None` as a step of the demo, run in `order`; `label` (lazy) names it."""

    def register(func: Callable) -> Callable:
        if label is not None:
            func.demo_label = label
        _registry.steps[_key(func)] = (order, func)
        return func

    return register


def demo_reset(order: int, label=None):
    """Register `func(context, out) -> None` that deletes the demo data of the step of `order`; `label` names it."""

    def register(func: Callable) -> Callable:
        if label is not None:
            func.demo_label = label
        _registry.resets[_key(func)] = (order, func)
        return func

    return register


def demo_summary(order: int):
    """Register `func(context, out) -> None` printed after loading (or finding) the demo data."""

    def register(func: Callable) -> Callable:
        _registry.summaries[_key(func)] = (order, func)
        return func

    return register


def demo_loaded(func: Callable) -> Callable:
    """Register `func(context) -> bool`: is this app's demo data already in the database?"""
    _registry.loaded_checks[_key(func)] = func
    return func


def discover() -> None:
    """Import `<app>.demo` for every installed app of this package, which registers its hooks."""
    for app_config in apps.get_app_configs():
        if app_config.name.startswith(PACKAGE_PREFIX) and module_has_submodule(app_config.module, "demo"):
            import_module(f"{app_config.name}.demo")


def _describe(func: Callable) -> str:
    label = getattr(func, "demo_label", None)
    if label is not None:
        return str(label)
    doc = (func.__doc__ or "").strip().splitlines()
    return doc[0] if doc else func.__qualname__


def _context(fixtures_dir) -> dict:
    path = Path(fixtures_dir)
    if not path.is_dir():
        raise DemoDataError(_("The demo fixtures directory %(path)s does not exist.") % {"path": path})
    return {"fixtures_dir": path}


def is_loaded(fixtures_dir) -> bool:
    """True when any app reports its demo data as present."""
    discover()
    context = _context(fixtures_dir)
    return any(check(context) for check in _registry.loaded_checks.values())


def run_demo(out, fixtures_dir) -> dict:
    """Run every registered step in order, in one transaction, and return the shared context."""
    discover()
    context = _context(fixtures_dir)
    with transaction.atomic(), acting_as(DEMO_CAPACITY):
        for order, step in _sorted(_registry.steps):
            out.write(f"[{order}] {_describe(step)}\n")
            step(context, out)
    return context


def reset_demo(out, fixtures_dir) -> None:
    """Delete the demo data, later apps first, in one transaction."""
    discover()
    context = _context(fixtures_dir)
    with transaction.atomic(), acting_as(DEMO_CAPACITY):
        for order, reset in _sorted(_registry.resets, reverse=True):
            out.write(f"[{order}] {_describe(reset)}\n")
            reset(context, out)


def print_summary(out, fixtures_dir, context: dict | None = None) -> None:
    discover()
    context = {**_context(fixtures_dir), **(context or {})}
    for _order, summary in _sorted(_registry.summaries):
        summary(context, out)

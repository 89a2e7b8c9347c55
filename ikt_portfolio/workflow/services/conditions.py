"""Transition conditions: small expressions on the document, evaluated safely (simpleeval, never eval)."""

import ast

from django.utils.translation import gettext as _
from simpleeval import EvalWithCompoundTypes, InvalidExpression

FUNCTIONS = {"len": len, "min": min, "max": max, "abs": abs}


class ConditionError(ValueError):
    pass


def parse_condition(expression: str, names: set[str] | None = None) -> None:
    """Raise ConditionError unless `expression` parses and uses only known names (when `names` is given)."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as error:
        raise ConditionError(_("The condition does not parse: %(error)s") % {"error": error.msg}) from error
    for node in ast.walk(tree):
        if isinstance(node, ast.Lambda | ast.ListComp | ast.DictComp | ast.SetComp | ast.GeneratorExp):
            raise ConditionError(_("The condition may only compare and combine values."))
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise ConditionError(_("The condition may not use hidden attributes."))
        if names is not None and isinstance(node, ast.Name) and node.id not in names and node.id not in FUNCTIONS:
            if node.id not in {"True", "False", "None"}:
                raise ConditionError(_("The condition uses an unknown name: %(name)s.") % {"name": node.id})


def condition_holds(expression: str, variables: dict) -> bool:
    if not expression.strip():
        return True
    evaluator = EvalWithCompoundTypes(names=variables, functions=FUNCTIONS)
    try:
        return bool(evaluator.eval(expression.strip()))
    except (InvalidExpression, TypeError, ValueError, ZeroDivisionError, KeyError) as error:
        raise ConditionError(_("The condition could not be evaluated: %(error)s") % {"error": error}) from error

"""REST resources of cost sharing: keys (with their members' shares), key shares, annual budget lines, the
allocation of any amount by a key, the what-if comparison of two keys, and what a member pays in a year.

Everyone in a collaboration reads its keys and lines and the totals; each member municipality's people see their
own municipality's share and how it was computed; the collaboration's administrators see every member's share and
change keys and lines. Rows of other collaborations answer 404. Refusals (a negative amount, percentages not
summing to 100, a missing population, a non-member) answer 400 with the reason and write nothing.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from ikt_portfolio.core.api import ModelCleanSerializer, ScopedModelViewSet
from ikt_portfolio.core.rest import ScopedModelPermissions
from ikt_portfolio.members.api import collaboration_of
from ikt_portfolio.members.models import Collaboration, Municipality

from . import services
from .models import AnnualBudgetLine, CostKey, CostKeyShare
from .permissions import visible_municipality_ids


class CostKeyShareSerializer(ModelCleanSerializer):
    class Meta:
        model = CostKeyShare
        fields = ["id", "key", "municipality", "percent", "weight", "units"]


class CostKeySerializer(ModelCleanSerializer):
    shares = serializers.SerializerMethodField()

    class Meta:
        model = CostKey
        fields = ["id", "collaboration", "name", "kind", "applies_to", "equal_percent", "population_percent",
                  "population_year", "unit_price", "opted_out_pays", "valid_from", "valid_to", "decided_by",
                  "decided_on", "replaces", "note", "shares"]  # fmt: skip

    def get_shares(self, key) -> list[dict]:
        return [
            {"municipality": s.municipality_id, "percent": s.percent, "weight": s.weight, "units": s.units}
            for s in key.shares.all()
        ]


class AnnualBudgetLineSerializer(ModelCleanSerializer):
    class Meta:
        model = AnnualBudgetLine
        fields = ["id", "collaboration", "year", "name", "kind", "amount", "key", "note"]


def _text(value) -> str | None:
    """Decimals as strings, as the rest of the API gives them (never floats)."""
    return None if value is None else str(value)


def share_data(share: services.Share) -> dict:
    return {
        "municipality": {"id": share.member.pk, "number": share.member.number, "name": share.member.name},
        "amount": _text(share.amount),
        "opted_out": share.opted_out,
        "share_percent": _text(share.share_percent),
        "population": share.population,
        "percent": _text(share.percent),
        "weight": _text(share.weight),
        "units": _text(share.units),
        "equal_part": _text(services.exact(share.equal_part, 6)) if share.equal_part is not None else None,
        "population_part": (
            _text(services.exact(share.population_part, 6)) if share.population_part is not None else None
        ),
        "exact": _text(share.raw_display),
        "rounding": _text(share.adjustment),
        "extra_ore": share.extra_ore,
    }


class AllocationQuery(serializers.Serializer):
    total = serializers.DecimalField(
        max_digits=15,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="NOK; may be left out for a usage key (its units are priced).",
    )
    year = serializers.IntegerField(required=False, min_value=1900, max_value=2100)
    date = serializers.DateField(required=False, help_text="Default: 1 January of the year, or today.")
    excluded = serializers.CharField(required=False, help_text="Ids of members who opted out, comma separated.")

    def validate_total(self, value):
        if value is not None:
            try:
                services.check_total(value)
            except ValidationError as error:
                raise serializers.ValidationError(error.messages) from error
        return value


def _query(request) -> dict:
    query = AllocationQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    data = query.validated_data
    day = data.get("date") or (services.allocation_day(data["year"]) if data.get("year") else timezone.localdate())
    try:
        excluded = {int(x) for x in (data.get("excluded") or "").split(",") if x.strip()}
    except ValueError as error:
        raise serializers.ValidationError({"excluded": "Ids, comma separated."}) from error
    return {"total": data.get("total"), "day": day, "excluded": excluded}


def _visible(shares, user, collaboration_id):
    ids = visible_municipality_ids(user, collaboration_id)
    return [s for s in shares if ids is None or s.member.pk in ids]


class CostKeyViewSet(ScopedModelViewSet):
    """Cost-sharing keys. `allocation` splits an amount by the key; `compare` splits it by this key and another."""

    queryset = CostKey.objects.select_related("collaboration").prefetch_related("shares")
    serializer_class = CostKeySerializer
    permission_classes = [ScopedModelPermissions]
    filterset_fields = ["collaboration", "kind", "applies_to"]

    @extend_schema(parameters=[AllocationQuery], summary="Split an amount by the key, exact to the øre")
    @action(detail=True, methods=["get"], filter_backends=[])
    def allocation(self, request, pk=None):
        key = self.get_object()
        query = _query(request)
        try:
            shares = services.allocate(query["total"], key, day=query["day"], excluded=query["excluded"])
        except ValidationError as error:
            return Response({"detail": " ".join(error.messages), "code": error.code}, status=400)
        return Response(
            {
                "key": key.pk,
                "date": query["day"],
                "total": _text(sum((s.amount for s in shares), Decimal("0.00"))),
                "members": len(shares),
                "shares": [share_data(s) for s in _visible(shares, request.user, key.collaboration_id)],
            }
        )

    @extend_schema(
        parameters=[AllocationQuery, OpenApiParameter("with", int, required=True, description="The other key.")],
        summary="What-if: the amount split by this key and another, member by member",
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def compare(self, request, pk=None):
        key = self.get_object()
        try:
            other = self.get_queryset().get(pk=int(request.query_params.get("with", "")))
        except (ValueError, CostKey.DoesNotExist) as error:
            raise NotFound() from error
        query = _query(request)
        if query["total"] is None:
            return Response({"detail": "The amount is missing."}, status=400)
        try:
            rows = services.compare(query["total"], key, other, day=query["day"], excluded=query["excluded"])
        except ValidationError as error:
            return Response({"detail": " ".join(error.messages), "code": error.code}, status=400)
        ids = visible_municipality_ids(request.user, key.collaboration_id)
        return Response(
            {
                "a": key.pk,
                "b": other.pk,
                "date": query["day"],
                "total": _text(query["total"]),
                "rows": [
                    {
                        "municipality": row.member.pk,
                        "a": share_data(row.a),
                        "b": share_data(row.b),
                        "difference": _text(row.difference),
                    }  # fmt: skip
                    for row in rows
                    if ids is None or row.member.pk in ids
                ],
            }
        )


class CostKeyShareViewSet(ScopedModelViewSet):
    queryset = CostKeyShare.objects.select_related("key", "municipality")
    serializer_class = CostKeyShareSerializer
    permission_classes = [ScopedModelPermissions]
    filterset_fields = ["key", "municipality"]


class AnnualBudgetLineViewSet(ScopedModelViewSet):
    """The collaboration's annual budget lines, each split by a key. `member-costs` lists what a member pays."""

    queryset = AnnualBudgetLine.objects.select_related("collaboration", "key")
    serializer_class = AnnualBudgetLineSerializer
    permission_classes = [ScopedModelPermissions]
    filterset_fields = ["collaboration", "year", "kind", "key"]

    @extend_schema(
        parameters=[
            OpenApiParameter("year", int),
            OpenApiParameter("municipality", int, description="Default: your own municipality."),
            OpenApiParameter("collaboration", int, description="Default: your first collaboration."),
        ],
        summary="What a member pays in a year: every cost item with its share and how it was computed",
    )
    @action(detail=False, methods=["get"], url_path="member-costs", filter_backends=[])
    def member_costs(self, request):
        collaboration, municipality, year = member_and_year(request)
        costs = services.member_costs(municipality, collaboration, year)
        return Response(
            {
                "collaboration": collaboration.pk,
                "municipality": municipality.pk,
                "year": year,
                "total": _text(sum((c.share.amount for c in costs if c.share), Decimal("0.00"))),
                "items": [
                    {
                        "source": c.item.source,
                        "name": c.item.name,
                        "item_total": _text(c.item.total),
                        "key": c.item.key.pk,
                        "share": share_data(c.share) if c.share else None,
                        "error": c.error,
                    }
                    for c in costs
                ],
            }
        )


def member_and_year(request) -> tuple[Collaboration, Municipality, int]:
    """(collaboration, member, year) of a per-member request (`?collaboration=`, `?municipality=`, default the
    user's own, `?year=`, default this year); 404 for a member whose shares the user may not see."""
    collaboration = collaboration_of(request)
    ids = visible_municipality_ids(request.user, collaboration.pk)
    try:
        municipality_id = int(request.query_params.get("municipality") or next(iter(ids or []), ""))
        year = int(request.query_params.get("year") or timezone.localdate().year)
    except (TypeError, ValueError) as error:
        raise NotFound() from error
    if ids is not None and municipality_id not in ids:
        raise NotFound()
    return collaboration, get_object_or_404(Municipality, pk=municipality_id), year


def register(router) -> None:
    router.register("costs/keys", CostKeyViewSet, basename="costs-key")
    router.register("costs/key-shares", CostKeyShareViewSet, basename="costs-key-share")
    router.register("costs/budget-lines", AnnualBudgetLineViewSet, basename="costs-budget-line")

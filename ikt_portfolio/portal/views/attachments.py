"""Attachments on a need's page: the list, the upload form, downloads and removal.

Whoever may open the need may download its files; who may attach and remove is decided by
`needs.attachments` (its refusals come back as messages, and nothing is written). Downloads are always
attachments (never shown inline), with the file's detected type and a sandboxing Content Security Policy.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from ikt_portfolio.needs import attachments as rules
from ikt_portfolio.needs.models import Attachment

from .. import queries
from ..forms import PortalForm
from .common import portal_login_required


class AttachmentForm(PortalForm):
    file = forms.FileField(label=gettext_lazy("File to attach"))

    def __init__(self, *args, limits: rules.Limits, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["file"]
        field.help_text = _limits_text(limits)
        field.widget.attrs["accept"] = limits.accept


def _limits_text(limits: rules.Limits) -> str:
    return ngettext(
        "Allowed types: %(types)s. Up to %(size)s per file, at most %(count)d file per need.",
        "Allowed types: %(types)s. Up to %(size)s per file, at most %(count)d files per need.",
        limits.max_per_need,
    ) % {"types": limits.types_label, "size": limits.max_size_label, "count": limits.max_per_need}


def attachment_context(request, need) -> dict:
    """What `_attachments.html` needs on the need's page (a bounded number of queries)."""
    items = list(rules.attachments_of(need))
    limits = rules.limits()
    may_attach = rules.may_add(request.user, need)
    removable = rules.removable_ids(request.user, need, items)
    return {
        "attachments": [{"attachment": item, "removable": item.pk in removable} for item in items],
        "may_attach": may_attach and len(items) < limits.max_per_need,
        "attachment_full": may_attach and len(items) >= limits.max_per_need,
        "attachment_form": AttachmentForm(prefix="attachment", limits=limits) if may_attach else None,
        "attachment_limits": limits,
        "any_removable": bool(removable),
    }


def _visible_need(request, pk):
    return get_object_or_404(queries.visible_needs(request.user).select_related("workflow_version"), pk=pk)


def _visible_attachment(request, pk, attachment_pk):
    need = _visible_need(request, pk)
    attachment = get_object_or_404(Attachment.objects.filter(need=need), pk=attachment_pk)
    attachment.need = need
    return attachment


def _back(need_pk):
    return redirect(reverse("ikt_portal:need", args=[need_pk]) + "#attachments-heading")


@require_POST
@portal_login_required
def upload(request, pk):
    need = _visible_need(request, pk)
    form = AttachmentForm(request.POST, request.FILES, prefix="attachment", limits=rules.limits())
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("file", [])) or _("Choose a file to attach."))
        return _back(need.pk)
    try:
        attachment = rules.add_attachment(need, request.user, form.cleaned_data["file"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except rules.AttachmentRefused as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("“%(name)s” is attached.") % {"name": attachment.original_name})
    return _back(need.pk)


@require_POST
@portal_login_required
def remove(request, pk, attachment_pk):
    attachment = _visible_attachment(request, pk, attachment_pk)
    try:
        rules.remove_attachment(attachment, request.user)
    except rules.AttachmentRefused as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("“%(name)s” is removed.") % {"name": attachment.original_name})
    return _back(pk)


@require_GET
@portal_login_required
def download(request, pk, attachment_pk):
    return rules.download_response(_visible_attachment(request, pk, attachment_pk))

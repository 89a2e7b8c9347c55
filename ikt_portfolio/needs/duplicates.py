"""Duplicate needs: finding similar needs while a need is reported, and merging duplicates in the sector group.

Finding (`find_similar`)
    Done in Python with rapidfuzz over the collaboration's live needs (not drafts, not in a final state), so the
    result is the same on SQLite and MariaDB. Collaborations have hundreds of needs, not millions: the
    candidates are fetched in one query with only the fields compared. Norwegian text is normalised first
    (lower case, no punctuation, æ/ø/å folded to ae/o/a, short stop words of bokmål and nynorsk dropped, a light
    suffix strip so "natten"/"natta" and "tjenesten"/"tenesta" come closer).

Merging (`merge`) and undoing it (`unmerge`)
    The sector lead merges a duplicate into another need through the workflow action "merge" (the engine checks
    the right and the required comment and writes the log entry), then, in the same transaction:

    * `duplicate.merged_into` is set (an audited change, recorded in the lead's capacity);
    * co-signers are carried over: the duplicate's own municipality and each municipality that co-signed the
      duplicate become co-signers of the target, unless it is the target's municipality or already co-signed
      it. Each carried co-signature keeps who signed and their expected benefit, and its history row carries
      the change reason ``merged from need <pk>`` (`CARRIED_REASON`): that is how `unmerge` knows which rows
      the merge made. The duplicate's own co-signatures stay where they are (its page still shows them);
    * followers are carried over: the duplicate's submitter and its followers follow the target;
    * comments stay on the duplicate, where they were written and where their authors' notifications point.
      Copying them would show them twice and make undoing the merge guesswork; the target's page can show them
      through `merged_comments(target)` (the duplicate is reachable through `target.merged_needs`).

    `unmerge` takes the workflow action "unmerge" (back to the sector group), clears `merged_into` and removes
    what the merge carried over that has no other reason to be there:

    * a carried co-signature is removed unless another need still merged into the target has that
      municipality (as its own or as a co-signer); such a row stays;
    * a carried follow (created at or after the merge by the duplicate's submitter or a follower of the
      duplicate) is removed unless that person still has another reason to follow: they reported or co-signed
      the target, or reported, co-signed or follow another need still merged into it.

    Refused, with nothing written: merging a need into itself, into a need of another collaboration, into a
    draft, into a need that is itself merged or in a final state; the engine refuses people who are not the
    sector lead (ActionRefused) and a missing comment.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from rapidfuzz import fuzz

from ikt_portfolio.core.audit import acting_as
from ikt_portfolio.workflow import services as workflow
from ikt_portfolio.workflow.models import FINAL_CATEGORIES, State

from .models import Comment, CoSign, Follow, Need

THRESHOLD = 60
TITLE_WEIGHT = 0.6
PROBLEM_WEIGHT = 0.4
CARRIED_REASON = "merged from need %d"

STOP_WORDS = frozenset(
    # bokmål (from the issue) and their nynorsk forms, after folding æøå
    "og i pa til for av med som det en et a er vi har ikke at de den om fra "
    "ikkje fraa fra ein eit me dei eg jeg du".split()
)
_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "ä": "ae", "ö": "o", "é": "e", "è": "e"})
_NON_WORD = re.compile(r"[^a-z0-9]+")
# Definite and plural endings of bokmål and nynorsk, longest first; only stripped from words long enough to keep
# a stem of four letters.
_SUFFIXES = ("ene", "ane", "ar", "er", "en", "et", "a")


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def normalise(text: str) -> str:
    """Norwegian text reduced to comparable words: "Tilsyn om natta i heimetenesta!" -> "tilsyn natt heimetenest"."""
    text = unicodedata.normalize("NFC", text or "").lower().replace("aa", "a").translate(_FOLD)
    words = _NON_WORD.sub(" ", text).split()
    return " ".join(_stem(word) for word in words if word not in STOP_WORDS and len(word) > 1)


def score(title_a: str, problem_a: str, title_b: str, problem_b: str) -> float:
    """0–100: how alike two needs are. Titles weigh most; the problem texts confirm (or not)."""
    # token_set alone calls "felles system for X" and "felles system for Y" alike; token_sort tempers it.
    title_score = (fuzz.token_set_ratio(title_a, title_b) + fuzz.token_sort_ratio(title_a, title_b)) / 2
    if not problem_a or not problem_b:
        return float(title_score)
    problem_score = max(fuzz.token_set_ratio(problem_a, problem_b), fuzz.partial_token_sort_ratio(problem_a, problem_b))
    return TITLE_WEIGHT * title_score + PROBLEM_WEIGHT * problem_score


def _candidates(collaboration, exclude_pk=None):
    """The collaboration's needs that can still be co-signed: not drafts, not in a final state."""
    needs = Need.objects.filter(collaboration=collaboration).only(
        "pk", "number", "title", "problem", "state", "workflow_version_id", "collaboration_id", "municipality_id"
    )
    if exclude_pk is not None:
        needs = needs.exclude(pk=exclude_pk)
    needs = list(needs.order_by("pk"))
    closed = set(
        State.objects.filter(version_id__in={n.workflow_version_id for n in needs})
        .filter(Q(is_initial=True) | Q(category__in=list(FINAL_CATEGORIES)))
        .values_list("version_id", "key")
    )
    return [n for n in needs if (n.workflow_version_id, n.state) not in closed]


def find_similar(collaboration, title: str, problem: str = "", *, exclude_pk=None, limit: int = 5, threshold=THRESHOLD):
    """The needs of `collaboration` most like (`title`, `problem`): a list of (need, score), best first.

    Only needs that are submitted and not yet closed are offered (drafts are private; closed needs cannot be
    co-signed). Ties are broken by the need's number, so the answer is the same on every database.
    """
    title_n, problem_n = normalise(title), normalise(problem)
    if not title_n and not problem_n:
        return []
    found = []
    for need in _candidates(collaboration, exclude_pk):
        if title_n:
            value = score(title_n, problem_n, normalise(need.title), normalise(need.problem))
        else:
            value = float(fuzz.token_set_ratio(problem_n, normalise(need.problem)))
        if value >= threshold:
            found.append((need, round(value, 1)))
    found.sort(key=lambda pair: (-pair[1], pair[0].number))
    return found[:limit]


# ------------------------------------------------------------------------------------------------ merging


def _refuse_target(duplicate: Need, into: Need) -> None:
    if duplicate.pk == into.pk:
        raise ValidationError(_("A need cannot be merged into itself."))
    if duplicate.collaboration_id != into.collaboration_id:
        raise ValidationError(_("A need can only be merged into a need of the same collaboration."))
    if into.merged_into_id is not None:
        raise ValidationError(
            _("%(need)s is itself merged into another need; merge into that one instead.") % {"need": into.reference}
        )
    state = workflow.current_state(into)
    if state.is_initial or state.is_final:
        raise ValidationError(
            _("%(need)s cannot receive a duplicate while it is “%(state)s”.")
            % {"need": into.reference, "state": state.localized_name}
        )
    if duplicate.merged_into_id is not None:
        raise ValidationError(_("%(need)s is already merged.") % {"need": duplicate.reference})


def _supporters(need: Need) -> dict[int, tuple[int, str, int | None]]:
    """municipality id -> (person id, expected benefit, affected count) of everyone standing behind `need`."""
    found = {need.municipality_id: (need.submitted_by_id, need.expected_benefit, need.affected_count)}
    for signature in need.co_signs.all():
        found.setdefault(
            signature.municipality_id, (signature.person_id, signature.expected_benefit, signature.affected_count)
        )
    return found


def _followers_of(need: Need) -> set[int]:
    users = set(need.followers.values_list("user_id", flat=True))
    users.add(need.submitted_by.user_id)
    return users


def target_by_reference(duplicate: Need, reference: str) -> Need:
    """The need a duplicate is merged into, given as "B-12" or "12", within the duplicate's collaboration."""
    number = reference.strip().upper().removeprefix("B-").strip()
    target = None
    if number.isdigit():
        target = Need.objects.filter(collaboration_id=duplicate.collaboration_id, number=int(number)).first()
    if target is None:
        raise ValidationError(_("Give the number of the need to merge into, e.g. B-12."))
    return target


def merge(duplicate: Need, into: Need, *, user, comment: str, revision: int | None = None):
    """Merge `duplicate` into `into` as `user` (the sector lead): see the module's documentation.

    Returns the transition log entry. Raises ValidationError or workflow.ActionRefused; nothing is written then.
    """
    with transaction.atomic():
        locked = {n.pk: n for n in Need.objects.select_for_update().filter(pk__in=[duplicate.pk, into.pk])}
        fresh, target = locked[duplicate.pk], locked[into.pk]
        _refuse_target(fresh, target)
        log = workflow.perform(fresh, "merge", user, comment=comment, revision=revision)
        fresh.merged_into = target
        with acting_as(log.capacity):
            fresh.save(update_fields=["merged_into"])
            present = set(target.co_signs.values_list("municipality_id", flat=True)) | {target.municipality_id}
            for municipality_id, (person_id, benefit, count) in _supporters(fresh).items():
                if municipality_id in present:
                    continue
                carried = CoSign(
                    need=target,
                    municipality_id=municipality_id,
                    person_id=person_id,
                    expected_benefit=benefit,
                    affected_count=count,
                )
                carried._change_reason = CARRIED_REASON % fresh.pk
                carried.save()
        for user_id in sorted(_followers_of(fresh)):
            Follow.objects.get_or_create(need=target, user_id=user_id)
    duplicate.merged_into = target
    workflow.copy_engine_fields(fresh, duplicate)
    return log


def unmerge(duplicate: Need, *, user, comment: str, revision: int | None = None):
    """Undo a merge as `user`: the duplicate goes back to the sector group, and what the merge carried over to
    the target that has no other reason to be there is removed. Returns the transition log entry."""
    with transaction.atomic():
        fresh = Need.objects.select_for_update().get(pk=duplicate.pk)
        merged_at = workflow.history(fresh).filter(action="merge").values_list("at", flat=True).first()
        log = workflow.perform(fresh, "unmerge", user, comment=comment, revision=revision)
        target = fresh.merged_into
        if target is not None:
            target = Need.objects.select_for_update().get(pk=target.pk)
            fresh.merged_into = None
            with acting_as(log.capacity):
                fresh.save(update_fields=["merged_into"])
                _remove_carried(fresh, target, merged_at)
    duplicate.merged_into = None
    workflow.copy_engine_fields(fresh, duplicate)
    return log


def _remove_carried(duplicate: Need, target: Need, merged_at) -> None:
    others = list(target.merged_needs.exclude(pk=duplicate.pk).select_related("submitted_by"))
    still_supported = set()
    still_following = {target.submitted_by.user_id}
    for other in others:
        still_supported |= set(_supporters(other))
        still_following |= _followers_of(other)
    carried_ids = CoSign.history.filter(
        need_id=target.pk, history_type="+", history_change_reason=CARRIED_REASON % duplicate.pk
    ).values_list("id", flat=True)
    for signature in CoSign.objects.filter(need=target, pk__in=list(carried_ids)).order_by("pk"):
        if signature.municipality_id not in still_supported:
            signature._change_reason = "merge undone: " + CARRIED_REASON % duplicate.pk
            signature.delete()
    # Whoever signs for a municipality that still stands behind the target keeps following it.
    still_following |= set(target.co_signs.values_list("person__user_id", flat=True))
    if merged_at is not None:
        carried_follows = Follow.objects.filter(
            need=target, user_id__in=_followers_of(duplicate), created_at__gte=merged_at
        ).exclude(user_id__in=still_following)
        carried_follows.delete()


def merged_comments(need: Need):
    """Comments written on the needs merged into `need`, oldest first (for showing them on its page)."""
    return (
        Comment.objects.filter(need__merged_into=need)
        .select_related("need", "author__user")
        .order_by("created_at", "pk")
    )

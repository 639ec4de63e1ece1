"""常见问题 before writing to a person: answered from the published policy (its texts and its numbers)."""

from dataclasses import dataclass

from flask_babel import force_locale, gettext

from portal.cases import deadlines
from portal.orders.kinds import Category
from portal.orders.labels import CATEGORY, PAYMENT_ROUTE
from portal.policy.publishing import published_version, ruleset_of
from portal.policy.texts import category_summary


@dataclass(frozen=True)
class Question:
    key: str
    question: str
    answers: list[str]


def common_questions(lang: str, max_mb: int) -> list[Question]:
    """Which type to choose, how long it takes, what evidence: from the policy customers see now."""
    version = published_version()
    rules = ruleset_of(version)
    with force_locale(lang):
        which = [
            gettext(
                "%(category)s: %(summary)s",
                category=str(CATEGORY[c]),
                summary=category_summary(version, lang, c),
            )
            for c in Category
        ]
        days = rules.review_working_days
        how_long = [
            gettext("Review takes up to %(days)s working days.", days=days),
            *(
                gettext(
                    "Once approved, money goes back to %(route)s in %(low)s–%(high)s working days.",
                    route=str(PAYMENT_ROUTE[route]),
                    low=low,
                    high=high,
                )
                for route, (low, high) in deadlines.ARRIVAL_WORKING_DAYS.items()
            ),
        ]
        evidence = [
            gettext(
                "Each refund type lists the evidence it needs at the evidence step of the request "
                "(for example a screenshot of the failed top-up or of the wrong account entered)."
            ),
            gettext(
                "Photos up to %(mb)s MB: JPEG, PNG, WebP or HEIC; some items also take a PDF.", mb=max_mb
            ),
        ]
        return [
            Question("which_type", gettext("Which refund type fits my order?"), which),
            Question("how_long", gettext("How long does a refund take?"), how_long),
            Question("what_evidence", gettext("What evidence do I need?"), evidence),
        ]

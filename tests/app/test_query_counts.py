"""Each customer page asks the database a small number of questions, and the same number when the customer has
three times the orders, requests and messages (no query per row)."""

from datetime import timedelta

import pytest

from portal.cases.states import CaseState as S
from portal.extensions import db
from tests.conftest import counting
from tests.factories import advance, new_order, open_case, open_case_for

MOST = 8  # the busiest page, 退款进度 asking for more evidence, asks 8 today


def queries_per_page(client, paths: dict[str, str]) -> dict[str, int]:
    counts = {}
    for name, path in paths.items():
        db.session.expunge_all()  # as in a real request: nothing known from before
        with counting() as statements:
            assert client.get(path).status_code == 200, path
        counts[name] = len(statements)
    return counts


@pytest.mark.config(PAGE_CACHE_SECONDS=0)  # what rendering costs (a repeat is one query: test_pagecache.py)
def test_pages_ask_few_questions_and_no_more_as_data_grows(journey):
    case = open_case_for(journey.customer_id)
    advance(case.id, S.EVIDENCE_RECEIVED, S.UNDER_REVIEW, S.MORE_EVIDENCE, evidence_request="请补充截图。")
    order_id = journey.orders["game_card_unused"]
    paths = {
        "orders": "/orders",
        "refundable": "/orders?tab=refundable",
        "order": f"/orders/{order_id}",
        "wizard": f"/orders/{order_id}/refund",
        "records": "/refunds",
        "progress": f"/cases/{case.id}",
        "messages": "/messages",
        "me": "/me",
    }
    queries_per_page(journey.client, paths)  # what a process does once (parsing the policy in force)
    before = queries_per_page(journey.client, paths)
    assert max(before.values()) <= MOST, before
    for days in range(40):  # more orders than a page shows, some with requests and their messages
        order = new_order(journey.customer_id, paid_ago=timedelta(days=days % 6, hours=days))
        if days % 4 == 0:
            open_case(order)
    db.session.commit()
    after = queries_per_page(journey.client, paths)
    assert after == before

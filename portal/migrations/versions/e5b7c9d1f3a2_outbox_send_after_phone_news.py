"""outbox: send_after (news waits to be coalesced); policy versions: phone_news

Case news for the phone (SMS, APP push) waits a short window before it is sent, so that news following
within it replaces the unsent message (status "superseded"). Stored policy versions get the
`phone_news` list that says which events reach the phone, as the defaults of this release give it.

Revision ID: e5b7c9d1f3a2
Revises: a3c5e7f9b1d2
Create Date: 2026-12-01 19:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

# revision identifiers, used by Alembic.
revision = 'e5b7c9d1f3a2'
down_revision = 'a3c5e7f9b1d2'
branch_labels = None
depends_on = None

# A frozen copy of portal/policy/defaults.py's phone_news at this release (migrations never import the app).
PHONE_NEWS = {
    "events": [
        "submitted",
        "more_evidence",
        "approved",
        "approved_partial",
        "approved_offline",
        "approved_partial_offline",
        "rejected",
        "executing",
        "refunded",
        "payout_account_needed",
        "appeal_approved",
        "appeal_approved_offline",
        "appeal_rejected",
        "appeal_returned",
        "support_reply",
    ],
    "coalesce_seconds": 120,
}
PHONE_NEWS_REASONS = {
    "phone_news.events": (
        "The source says only that the result (审核结果) is told by 站内信, SMS or APP push. "
        "The platform also texts what the customer must know or act on: the request accepted, "
        "more evidence needed, money sent and arrived, an account needed for an offline refund, "
        "an appeal or customer service answered; every other step is in the 站内信 and on 退款进度."
    ),
    "phone_news.coalesce_seconds": (
        "The source gives no rule for news that follows quickly (an automatic approval, then the "
        "payout); SMS and pushes for one case wait 120 seconds, and news within that time replaces "
        "the unsent message, which then tells the latest state."
    ),
}

_versions = sa.table(
    'policy_versions',
    sa.column('id', sa.Integer),
    sa.column('rules', sa.JSON().with_variant(JSONB(), 'postgresql')),
)


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('send_after', sa.DateTime(), nullable=True))
    conn = op.get_bind()
    for row in conn.execute(sa.select(_versions.c.id, _versions.c.rules)).all():
        rules = dict(row.rules or {})
        if not rules or 'phone_news' in rules:
            continue
        rules['phone_news'] = PHONE_NEWS
        rules['platform_choices'] = {**(rules.get('platform_choices') or {}), **PHONE_NEWS_REASONS}
        conn.execute(sa.update(_versions).where(_versions.c.id == row.id).values(rules=rules))


def downgrade():
    conn = op.get_bind()
    for row in conn.execute(sa.select(_versions.c.id, _versions.c.rules)).all():
        rules = dict(row.rules or {})
        if 'phone_news' not in rules:
            continue
        rules.pop('phone_news')
        choices = {k: v for k, v in (rules.get('platform_choices') or {}).items() if k not in PHONE_NEWS_REASONS}
        rules['platform_choices'] = choices
        conn.execute(sa.update(_versions).where(_versions.c.id == row.id).values(rules=rules))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('send_after')

"""refund_cases.appeal_of_id: an appeal against a partial approval is a linked case of its own

The one-open-case-per-order index leaves that linked case out; appeal_of_id is unique (one appeal
per case).

Revision ID: e2a9c4b7d153
Revises: e5b7c9d1f3a2
Create Date: 2026-12-01 19:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = "e2a9c4b7d153"
down_revision = "e5b7c9d1f3a2"
branch_labels = None
depends_on = None

_OLD_WHERE = "is_open"
_NEW_WHERE = "is_open AND appeal_of_id IS NULL"


def upgrade():
    with op.batch_alter_table("refund_cases") as batch_op:
        batch_op.add_column(sa.Column("appeal_of_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint("uq_refund_cases_appeal_of_id", ["appeal_of_id"])
        batch_op.create_foreign_key(
            "fk_refund_cases_appeal_of_id_refund_cases", "refund_cases", ["appeal_of_id"], ["id"]
        )
        batch_op.drop_index(
            "uq_refund_cases_open_order", sqlite_where=sa.text(_OLD_WHERE), postgresql_where=sa.text(_OLD_WHERE)
        )
        batch_op.create_index(
            "uq_refund_cases_open_order",
            ["order_id"],
            unique=True,
            sqlite_where=sa.text(_NEW_WHERE),
            postgresql_where=sa.text(_NEW_WHERE),
        )


def downgrade():
    with op.batch_alter_table("refund_cases") as batch_op:
        batch_op.drop_index(
            "uq_refund_cases_open_order", sqlite_where=sa.text(_NEW_WHERE), postgresql_where=sa.text(_NEW_WHERE)
        )
        batch_op.create_index(
            "uq_refund_cases_open_order",
            ["order_id"],
            unique=True,
            sqlite_where=sa.text(_OLD_WHERE),
            postgresql_where=sa.text(_OLD_WHERE),
        )
        batch_op.drop_constraint("fk_refund_cases_appeal_of_id_refund_cases", type_="foreignkey")
        batch_op.drop_constraint("uq_refund_cases_appeal_of_id", type_="unique")
        batch_op.drop_column("appeal_of_id")

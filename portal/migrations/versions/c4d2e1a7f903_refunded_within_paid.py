"""orders: the money gone back never exceeds what was paid

Revision ID: c4d2e1a7f903
Revises: b0bfcae873ec
Create Date: 2026-12-01 16:00:00

"""
from alembic import op

revision = "c4d2e1a7f903"
down_revision = "b0bfcae873ec"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("orders") as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_orders_refunded_within_paid"), "refunded_fen >= 0 AND refunded_fen <= amount_fen"
        )


def downgrade():
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_constraint(op.f("ck_orders_refunded_within_paid"), type_="check")

"""refund_cases.final_decision: decided for good (arbitration, an answered appeal)

Revision ID: d81f3b6c2a45
Revises: f16ff64ff8d9
Create Date: 2026-12-01 16:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = "d81f3b6c2a45"
down_revision = "f16ff64ff8d9"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("refund_cases") as batch_op:
        batch_op.add_column(sa.Column("final_decision", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("refund_cases") as batch_op:
        batch_op.drop_column("final_decision")

"""support_messages.client_token: one row per sent form (a double-tapped Send is stored once)

Revision ID: a3c5e7f9b1d2
Revises: d81f3b6c2a45
Create Date: 2026-12-01 18:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "a3c5e7f9b1d2"
down_revision = "d81f3b6c2a45"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("support_messages") as batch_op:
        batch_op.add_column(sa.Column("client_token", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            "uq_support_messages_client_token", ["conversation_id", "client_token"]
        )


def downgrade():
    with op.batch_alter_table("support_messages") as batch_op:
        batch_op.drop_constraint("uq_support_messages_client_token", type_="unique")
        batch_op.drop_column("client_token")

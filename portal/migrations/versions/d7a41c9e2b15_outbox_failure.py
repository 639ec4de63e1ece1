"""outbox: why a failed row failed (retries spent, give up, fix settings)

Revision ID: d7a41c9e2b15
Revises: ddbfc67be478
Create Date: 2026-12-01 16:10:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'd7a41c9e2b15'
down_revision = 'ddbfc67be478'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failure', sa.String(length=16), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('failure')

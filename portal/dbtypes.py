"""Column types shared by the models."""

from sqlalchemy import JSON, Enum
from sqlalchemy.dialects.postgresql import JSONB

# JSONB on PostgreSQL (indexable, compact), JSON text elsewhere.
JsonData = JSON().with_variant(JSONB(), "postgresql")


def enum_column(enum_cls):
    """Store an enum by its value, as a plain string column (portable, readable)."""
    return Enum(enum_cls, native_enum=False, values_callable=lambda e: [m.value for m in e], length=32)

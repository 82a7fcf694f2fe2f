"""The declarative base and the tenant mixins every context's models build on."""
from __future__ import annotations

import functools
from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

BigId = BigInteger()


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: DateTime(timezone=True)}


class TenantOwned:
    """Mixin: a row that belongs to one agency. Scoped by the ORM hook and by RLS."""

    @declared_attr
    def agency_id(cls) -> Mapped[int]:
        return mapped_column(BigId, ForeignKey("agency.id", ondelete="CASCADE"), nullable=False, index=True)


class OrgOwned:
    """Mixin: a tenant row that also belongs to one organisation."""

    @declared_attr
    def org_id(cls) -> Mapped[int]:
        return mapped_column(BigId, ForeignKey("organisation.id", ondelete="CASCADE"), nullable=False,
                             index=True)


def tenant_tables() -> frozenset[str]:
    """Tables that carry agency_id (asked on every ORM statement). Each context registers its models when
    first imported, so the answer is remembered per number of known tables."""
    return _tenant_tables(len(Base.metadata.tables))


@functools.cache
def _tenant_tables(_known: int) -> frozenset[str]:
    return frozenset(t.name for t in Base.metadata.tables.values() if "agency_id" in t.c)

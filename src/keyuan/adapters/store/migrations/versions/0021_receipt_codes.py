"""回执编号 (issue 16): every consent gets a short receipt code people can type and scan
(`KY-XXXXX-XXXXX`, ten Crockford base32 symbols, stored without prefix or dashes), unique.
Existing consents get theirs here, so every receipt has one from the first read on.

The column stays nullable: SQLite cannot make a column of a referenced table NOT NULL without
copying the table; every row has a code after this revision and every new consent is given one.

Revision ID: 0021
Revises: 0022 (signing buyers; 0021 follows 0022)
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0022"
branch_labels = None
depends_on = None

# a copy of keyuan.domain.checkin.receipt_code at the time of writing: a revision must not
# change when the code does
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_LENGTH = 10


def upgrade() -> None:
    op.add_column("consents", sa.Column("receipt_code", sa.String(length=10), nullable=True))
    consents = sa.table("consents", sa.column("id", sa.String),
                        sa.column("receipt_code", sa.String))
    conn = op.get_bind()
    ids = [row[0] for row in conn.execute(sa.select(consents.c.id))]
    given: set[str] = set()
    for consent_id in ids:
        code = _new_code()
        while code in given:  # 50 bits: practically never, but the index below must hold
            code = _new_code()
        given.add(code)
        conn.execute(consents.update().where(consents.c.id == consent_id)
                     .values(receipt_code=code))
    op.create_index(op.f("ix_consents_receipt_code"), "consents", ["receipt_code"], unique=True)


def _new_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))


def downgrade() -> None:
    op.drop_index(op.f("ix_consents_receipt_code"), table_name="consents")
    op.drop_column("consents", "receipt_code")  # no batch copy: signatures reference consents

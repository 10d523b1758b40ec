"""merge the accounts and capture branches

Revision ID: 0005
Revises: 0004_accounts, 0004_capture
"""

revision = "0005"
down_revision = ("0004_accounts", "0004_capture")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

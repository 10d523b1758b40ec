"""merge the attribution and compliance branches

Revision ID: 0003
Revises: 0002_attribution, 0002_compliance
"""

revision = "0003"
down_revision = ("0002_attribution", "0002_compliance")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

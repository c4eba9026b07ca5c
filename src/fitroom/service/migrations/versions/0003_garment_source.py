"""garments.source: where a garment photo came from ('product' upload or 'tryoff' of a person photo)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 12:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('garments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=20), nullable=False, server_default='product'))


def downgrade() -> None:
    with op.batch_alter_table('garments', schema=None) as batch_op:
        batch_op.drop_column('source')

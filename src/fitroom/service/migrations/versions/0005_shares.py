"""shares: stored, revocable share links with random tokens (only their SHA-256 kept)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 17:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'shares',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('user_id', sa.String(length=32), nullable=False),
        sa.Column('tryon_id', sa.String(length=32), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['tryon_id'], ['tryons.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_shares_user_id', 'shares', ['user_id'])
    op.create_index('ix_shares_tryon_id', 'shares', ['tryon_id'])
    op.create_index('ix_shares_token_hash', 'shares', ['token_hash'], unique=True)


def downgrade() -> None:
    op.drop_table('shares')

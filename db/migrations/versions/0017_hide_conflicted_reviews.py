"""Product reviews written by the product's creator, or by a seller who offered it before writing,
are hidden: they leave the averages, with a reason and an audit row each.

Revision 0017_hide_conflicted_reviews, after 0016_points_ledger_clock. Since 0009 the site refuses
such reviews (app/models/review.py), but a database made before then may hold some (wave 1's demo
data has a few, and a seller once gave their own product five stars). Hiding, not deleting, keeps
them for their authors and for moderators, who may restore one from /admin/reviews; the rating
triggers of 0009 take each out of its product's summary as it is hidden. Their open reports are
closed as 'hidden', as a moderator's hiding closes them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_hide_conflicted_reviews"
down_revision = "0016_points_ledger_clock"
branch_labels = None
depends_on = None

REASON = "Hidden automatically: written by the product's creator or one of its sellers (conflict of interest)."


def upgrade() -> None:
    op.execute(
        sa.text(
            """
        WITH conflicted AS (
            SELECT r.id, r.rating
            FROM product_reviews AS r
            JOIN products AS p ON p.id = r.product_id
            WHERE r.hidden_at IS NULL
              AND (p.creator_id = r.author_id
                   OR EXISTS (
                       SELECT 1 FROM offers AS o
                       WHERE o.seller_id = r.author_id AND o.product_id = r.product_id
                         AND o.created_at <= r.updated_at
                   ))
            ORDER BY r.product_id, r.id
        ),
        hidden AS (
            UPDATE product_reviews AS r
            SET hidden_at = now(), hidden_reason = :reason
            FROM conflicted
            WHERE r.id = conflicted.id
            RETURNING r.id
        ),
        closed AS (
            UPDATE review_reports AS rr
            SET resolved_at = greatest(now(), rr.created_at), resolution = 'hidden'
            FROM hidden
            WHERE rr.product_review_id = hidden.id AND rr.resolved_at IS NULL
            RETURNING rr.product_review_id
        )
        INSERT INTO audit_log (actor_id, actor_role, action, target_type, target_id, reason, before, after)
        SELECT NULL, 'command line', 'review.hide', 'product_review', conflicted.id, :reason,
               jsonb_build_object('hidden', false, 'rating', conflicted.rating),
               jsonb_build_object(
                   'hidden', true,
                   'reports_closed', (SELECT count(*) FROM closed WHERE closed.product_review_id = conflicted.id)
               )
        FROM conflicted
        ORDER BY conflicted.id
        """
        ).bindparams(reason=REASON)
    )

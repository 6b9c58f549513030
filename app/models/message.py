"""Messages between the buyer of a purchase and one of its sellers.

A thread is (purchase, seller). Its two parties are the purchase's buyer and that seller,
and only while the seller has a line in the purchase: every query checks that in SQL.
Messages are never edited or deleted. A party may delete a thread for themselves
(hide_thread): hidden_threads keeps the newest message it had, and the inbox leaves the thread
out until a newer message arrives; the other party sees it as before.
"""

from app import db

# The viewer is a party to thread (:purchase_id, :seller_id); yields the other party's id.
_PARTIES = """
    SELECT DISTINCT o.buyer_id, o.seller_id
    FROM orders AS o
    WHERE o.purchase_id = :purchase_id
      AND o.seller_id = :seller_id
      AND :viewer_id IN (o.buyer_id, o.seller_id)
"""


def get_thread(purchase_id: int, seller_id: int, viewer_id: int):
    """The thread's parties and names if the viewer is one of them, else None."""
    return db.one(
        f"""
        SELECT parties.buyer_id, buyer.full_name AS buyer_name,
               parties.seller_id, seller.full_name AS seller_name,
               CASE WHEN parties.buyer_id = :viewer_id THEN parties.seller_id ELSE parties.buyer_id END AS other_id
        FROM ({_PARTIES}) AS parties
        JOIN users AS buyer ON buyer.id = parties.buyer_id
        JOIN users AS seller ON seller.id = parties.seller_id
        """,  # noqa: S608 - a fixed subquery with bound values
        purchase_id=purchase_id,
        seller_id=seller_id,
        viewer_id=viewer_id,
    )


def list_messages(purchase_id: int, seller_id: int, viewer_id: int):
    """The thread's messages, oldest first, for one of its parties."""
    return db.all(
        """
        SELECT m.id, m.sender_id, sender.full_name AS sender_name, m.body, m.created_at, m.read_at
        FROM messages AS m
        JOIN users AS sender ON sender.id = m.sender_id
        WHERE m.purchase_id = :purchase_id
          AND m.seller_id = :seller_id
          AND :viewer_id IN (m.sender_id, m.recipient_id)
        ORDER BY m.id
        """,
        purchase_id=purchase_id,
        seller_id=seller_id,
        viewer_id=viewer_id,
    )


def mark_read(purchase_id: int, seller_id: int, reader_id: int) -> None:
    """Mark every message to the reader in this thread as read."""
    db.run(
        """
        UPDATE messages
        SET read_at = now()
        WHERE purchase_id = :purchase_id
          AND seller_id = :seller_id
          AND recipient_id = :reader_id
          AND read_at IS NULL
        """,
        purchase_id=purchase_id,
        seller_id=seller_id,
        reader_id=reader_id,
    )


def send(purchase_id: int, seller_id: int, sender_id: int, body: str) -> bool:
    """Post a message to the other party; False if the sender is not a party."""
    sent = db.run(
        f"""
        INSERT INTO messages (purchase_id, seller_id, sender_id, recipient_id, body)
        SELECT :purchase_id, parties.seller_id, :viewer_id,
               CASE WHEN parties.buyer_id = :viewer_id THEN parties.seller_id ELSE parties.buyer_id END,
               :body
        FROM ({_PARTIES}) AS parties
        """,  # noqa: S608 - a fixed subquery with bound values
        purchase_id=purchase_id,
        seller_id=seller_id,
        viewer_id=sender_id,
        body=body,
    )
    return sent == 1


def list_threads(user_id: int, limit: int, offset: int):
    """The user's threads, latest message first, with how many are unread for them; threads they
    deleted are left out unless a message came after."""
    return db.all(
        """
        SELECT m.purchase_id, m.seller_id,
               CASE WHEN m.seller_id = :user_id THEN 'buyer' ELSE 'seller' END AS other_role,
               other.full_name AS other_name,
               count(*) AS message_count,
               count(*) FILTER (WHERE m.recipient_id = :user_id AND m.read_at IS NULL) AS unread,
               max(m.created_at) AS last_at
        FROM messages AS m
        JOIN users AS other
          ON other.id = CASE WHEN m.sender_id = :user_id THEN m.recipient_id ELSE m.sender_id END
        LEFT JOIN hidden_threads AS h
          ON h.user_id = :user_id AND h.purchase_id = m.purchase_id AND h.seller_id = m.seller_id
        WHERE :user_id IN (m.sender_id, m.recipient_id)
        GROUP BY m.purchase_id, m.seller_id, other.id, other.full_name, h.through_message_id
        HAVING max(m.id) > coalesce(h.through_message_id, 0)
        ORDER BY last_at DESC
        LIMIT :limit OFFSET :offset
        """,
        user_id=user_id,
        limit=limit,
        offset=offset,
    )


def count_threads(user_id: int) -> int:
    """How many threads list_threads lists in all."""
    return db.value(
        """
        SELECT count(*)
        FROM (
            SELECT purchase_id, seller_id, max(id) AS newest_id
            FROM messages
            WHERE :user_id IN (sender_id, recipient_id)
            GROUP BY purchase_id, seller_id
        ) AS thread
        LEFT JOIN hidden_threads AS h
          ON h.user_id = :user_id AND h.purchase_id = thread.purchase_id AND h.seller_id = thread.seller_id
        WHERE thread.newest_id > coalesce(h.through_message_id, 0)
        """,
        user_id=user_id,
    )


def hide_thread(purchase_id: int, seller_id: int, user_id: int) -> bool:
    """Delete the thread for the user alone, up to its newest message, which also counts its
    messages to them as read; False if the user has no message in it. Hiding twice is harmless."""
    hidden = db.run(
        """
        WITH newest AS (
            SELECT max(id) AS id
            FROM messages
            WHERE purchase_id = :purchase_id
              AND seller_id = :seller_id
              AND :user_id IN (sender_id, recipient_id)
        ),
        read AS (
            UPDATE messages
            SET read_at = now()
            WHERE purchase_id = :purchase_id
              AND seller_id = :seller_id
              AND recipient_id = :user_id
              AND read_at IS NULL
        )
        INSERT INTO hidden_threads (user_id, purchase_id, seller_id, through_message_id)
        SELECT :user_id, :purchase_id, :seller_id, id
        FROM newest
        WHERE id IS NOT NULL
        ON CONFLICT (user_id, purchase_id, seller_id) DO UPDATE
        SET through_message_id = EXCLUDED.through_message_id,
            hidden_at = now()
        """,
        purchase_id=purchase_id,
        seller_id=seller_id,
        user_id=user_id,
    )
    return hidden == 1

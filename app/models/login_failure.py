"""Failed sign-ins, counted in PostgreSQL so the limit holds across app servers."""

from app import db


def count_recent_failures(email: str, ip_address: str, minutes: int):
    """Failures in the last `minutes` for this e-mail and for this address."""
    return db.one(
        """
        SELECT count(*) FILTER (WHERE email = :email) AS by_email,
               count(*) FILTER (WHERE ip_address = :ip_address) AS by_address
        FROM login_failures
        WHERE (email = :email OR ip_address = :ip_address)
          AND attempted_at > now() - make_interval(mins => :minutes)
        """,
        email=email,
        ip_address=ip_address,
        minutes=minutes,
    )


def record_failure(email: str, ip_address: str, minutes: int) -> None:
    """Note one failed sign-in, and forget this e-mail's failures older than the window."""
    with db.transaction() as conn:
        db.execute(
            conn,
            """
            DELETE FROM login_failures
            WHERE email = :email
              AND attempted_at <= now() - make_interval(mins => :minutes)
            """,
            email=email,
            minutes=minutes,
        )
        db.execute(
            conn,
            "INSERT INTO login_failures (email, ip_address) VALUES (:email, :ip_address)",
            email=email,
            ip_address=ip_address,
        )


def clear_failures(email: str) -> None:
    """Forget an e-mail's failures after a successful sign-in."""
    db.run("DELETE FROM login_failures WHERE email = :email", email=email)

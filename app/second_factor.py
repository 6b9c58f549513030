"""Two-factor sign-in: turning it on and off, and the code step of signing in.

Each step runs in one transaction that locks the user's user_totp row before anything else
(then the pending sign-in), so the replay check, the recovery codes and both attempt limits are
exact when several servers take codes for the same account at once.
"""

import enum
import re
from dataclasses import dataclass

from flask import redirect, request, session, url_for

from app import db
from app.models import pending_sign_in, recovery_code, totp

_TOTP_CODE = re.compile(r"^[0-9]{6}$")
PENDING_KEY = "pending_sign_in"  # the session key holding the pending sign-in's token


def redirect_to_second_step(user_id: int, remember: bool):
    """The password was right and the account wants a code: note the pending sign-in, and ask for the code."""
    session[PENDING_KEY] = pending_sign_in.create_pending(user_id, remember)
    return redirect(url_for("two_factor.sign_in_step", next=request.args.get("next")))


@dataclass(frozen=True)
class Limits:
    attempts_per_sign_in: int  # wrong codes before a pending sign-in is dropped (password again)
    account_ceiling: int  # wrong codes for one account, over all its sign-ins, within the window
    account_window_seconds: int

    @classmethod
    def from_config(cls, config) -> "Limits":
        """The limits set in the app's configuration (app/config.py)."""
        return cls(
            attempts_per_sign_in=config["TWO_FACTOR_ATTEMPTS_PER_SIGN_IN"],
            account_ceiling=config["TWO_FACTOR_ACCOUNT_CEILING"],
            account_window_seconds=config["TWO_FACTOR_ACCOUNT_WINDOW_SECONDS"],
        )


class Result(enum.Enum):
    SIGNED_IN = "signed in"
    WRONG = "wrong code"
    REUSED = "code already used"
    DROPPED = "too many wrong codes for this sign-in"
    LOCKED = "too many wrong codes for this account"
    GONE = "no pending sign-in"


@dataclass(frozen=True)
class Outcome:
    result: Result
    user_id: int | None = None
    remember: bool = False
    attempts_left: int = 0
    retry_after: int = 0
    recovery_code_used: bool = False


def compact_code(code: str) -> str:
    """A typed authenticator code without the spaces apps show in the middle."""
    return re.sub(r"\s", "", code)


def confirm_setup(user_id: int, code: str) -> list[str] | None:
    """Turn two-factor sign-in on if `code` matches the pending secret; return new recovery codes, else None."""
    code = compact_code(code)
    with db.transaction() as conn:
        row = totp.lock_pending(conn, user_id)
        if row is None or not _TOTP_CODE.match(code):
            return None
        secret = totp.decrypt_secret(user_id, row["secret_encrypted"])
        step = totp.matching_step(secret, code) if secret else None
        if step is None:
            return None
        totp.enable(conn, user_id, step)
        codes = recovery_code.new_codes()
        recovery_code.replace_codes(conn, user_id, codes)
    return codes


def replace_recovery_codes(user_id: int) -> list[str] | None:
    """New recovery codes for a user with two-factor sign-in on (the old ones stop working), else None."""
    with db.transaction() as conn:
        if totp.lock_enabled(conn, user_id, 0) is None:
            return None
        codes = recovery_code.new_codes()
        recovery_code.replace_codes(conn, user_id, codes)
    return codes


def disable(user_id: int) -> None:
    """Turn two-factor sign-in off: the secret, the recovery codes and pending sign-ins go."""
    with db.transaction() as conn:
        totp.disable(conn, user_id)
        recovery_code.delete_codes(conn, user_id)
        pending_sign_in.delete_all_pending(conn, user_id)


def check_code(pending_id: int, user_id: int, code: str, limits: Limits) -> Outcome:
    """Finish a pending sign-in with an authenticator code or a recovery code, or count the failure."""
    with db.transaction() as conn:
        state = totp.lock_enabled(conn, user_id, limits.account_window_seconds)
        pending = pending_sign_in.lock_pending(conn, pending_id)
        if pending is None or pending["user_id"] != user_id:
            return Outcome(Result.GONE)
        if state is None:
            # Two-factor sign-in was turned off meanwhile: start again with the password.
            pending_sign_in.delete_pending(conn, pending_id)
            return Outcome(Result.GONE)
        if state["recent_failures"] >= limits.account_ceiling:
            return Outcome(Result.LOCKED, retry_after=max(1, state["window_left_seconds"] or 1))

        result, step = _verify(conn, state, compact_code(code))
        if result is Result.SIGNED_IN:
            totp.record_success(conn, user_id, step)
            pending_sign_in.delete_pending(conn, pending_id)
            return Outcome(result, user_id, pending["remember"], recovery_code_used=step is None)

        totp.record_failure(conn, user_id, limits.account_window_seconds)
        attempts = pending_sign_in.add_attempt(conn, pending_id)
        if attempts >= limits.attempts_per_sign_in:
            pending_sign_in.delete_pending(conn, pending_id)
            return Outcome(Result.DROPPED)
        return Outcome(result, attempts_left=limits.attempts_per_sign_in - attempts)


def _verify(conn, state, code: str) -> tuple[Result, int | None]:
    """Check a code against the locked TOTP row: (SIGNED_IN, its step or None for a recovery code) or a failure."""
    if _TOTP_CODE.match(code):
        secret = totp.decrypt_secret(state["user_id"], state["secret_encrypted"])
        step = totp.matching_step(secret, code) if secret else None
        if step is None:
            return Result.WRONG, None
        if state["last_used_step"] is not None and step <= state["last_used_step"]:
            return Result.REUSED, None
        return Result.SIGNED_IN, step
    if recovery_code.normalize(code) and recovery_code.use_code(conn, state["user_id"], code):
        return Result.SIGNED_IN, None
    return Result.WRONG, None

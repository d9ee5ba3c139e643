"""Personal API tokens: made, shown once, used, and revoked by their owner or with the account's
password or deactivation."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from quest_platform.extensions import db
from quest_platform.models import ApiToken, User, utcnow
from quest_platform.services.audit import record_change
from quest_platform.services.errors import Conflict, NotFound, ServiceError, undone_on_error

# Marks a string as a Quest Platform token, for people and for secret scanners.
TOKEN_PREFIX = "qp_"  # noqa: S105 (a label, not a secret)
DEFAULT_DAYS = 30
MAX_DAYS = 90
# Working tokens one person may hold at once.
MAX_WORKING_TOKENS = 10
# A token's last use is written at most this often: a busy front end does not write each call.
LAST_USED_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class NewToken:
    """A token just made, and its secret: shown to its owner this once and never stored."""

    token: ApiToken
    secret: str


def digest_of(secret: str) -> str:
    """The stored form of a token: its SHA-256, so a copy of the database signs no one in."""
    return hashlib.sha256(secret.encode()).hexdigest()


def working_tokens(*, user: User, now: datetime) -> int:
    """How many of ``user``'s tokens are neither expired nor revoked."""
    query = select(func.count(ApiToken.id)).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now
    )
    return db.session.scalar(query) or 0


@undone_on_error
def create_api_token(
    *, user: User, name: str, days: int = DEFAULT_DAYS, now: datetime | None = None
) -> NewToken:
    """Make a token for ``user``, named ``name``, working for ``days`` days (1 to MAX_DAYS)."""
    now = now or utcnow()
    name = name.strip()
    if not 1 <= len(name) <= 60:
        raise ServiceError(_("Give the token a name of 1 to 60 characters."), field="name")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ServiceError(
            ngettext(
                "A token works for 1 to %(num)d day.",
                "A token works for 1 to %(num)d days.",
                MAX_DAYS,
            ),
            field="days",
        )
    if working_tokens(user=user, now=now) >= MAX_WORKING_TOKENS:
        raise Conflict(
            ngettext(
                "You have %(num)d working token: revoke it before making another.",
                "You have %(num)d working tokens: revoke one before making another.",
                MAX_WORKING_TOKENS,
            )
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=secret[:10],
        digest=digest_of(secret),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(token)
    record_change(actor=user, action="create", record=token, after=described(token))
    db.session.commit()
    return NewToken(token=token, secret=secret)


@undone_on_error
def revoke_api_token(*, user: User, token_id: int, now: datetime | None = None) -> ApiToken:
    """Stop ``user``'s token ``token_id`` from working; another person's token is not found."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(_("You have no token with this number."))
    if token.revoked_at is None:
        before = described(token)
        token.revoked_at = now or utcnow()
        record_change(
            actor=user, action="revoke", record=token, before=before, after=described(token)
        )
        db.session.commit()
    return token


def revoke_api_tokens(*, user: User, now: datetime | None = None) -> int:
    """Stop every working token of ``user`` at once, in the caller's transaction.

    A new password, a password reset and a deactivation end every way into an account: this is
    their part for tokens (services/accounts.py calls it). Returns how many tokens stopped.
    """
    now = now or utcnow()
    tokens = db.session.scalars(
        select(ApiToken).where(
            ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now
        )
    ).all()
    for token in tokens:
        token.revoked_at = now
    return len(tokens)


@undone_on_error
def user_for_token(secret: str, *, now: datetime | None = None) -> User | None:
    """The active user a working token signs in, noting when it was last used; else None."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    now = now or utcnow()
    token = db.session.scalar(select(ApiToken).where(ApiToken.digest == digest_of(secret)))
    if token is None or not token.works_at(now) or not token.user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        token.last_used_at = now
        db.session.commit()
    return token.user


def described(token: ApiToken) -> dict[str, str | None]:
    """What the audit log keeps of a token: never its secret nor its digest."""
    return {
        "name": token.name,
        "prefix": token.prefix,
        "expires_at": token.expires_at.isoformat(),
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }

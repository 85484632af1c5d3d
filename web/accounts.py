"""Volunteer accounts: password hashing (argon2id), login checks with a lock-out, and the CLI.

    python -m web.accounts create NAME [--ward "Phường Kinh Bắc"] [--password-stdin]
    python -m web.accounts list | disable NAME | enable NAME | set-password NAME
"""
from __future__ import annotations

import argparse
import getpass
import re
import sys
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from web.db import Volunteer, make_engine, session_factory, utcnow
from web.settings import Settings

MIN_PASSWORD = 10
MAX_FAILURES = 5  # then the account waits LOCK_MINUTES
LOCK_MINUTES = 10
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")

_hasher = PasswordHasher()
# Compared against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class AccountError(ValueError):
    pass


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def create(db: Session, name: str, password: str, ward: str = "") -> Volunteer:
    name = name.strip().lower()
    if not NAME.match(name):
        raise AccountError("a name is 3-64 characters: lower-case letters, digits, '.', '_' or '-'")
    if db.scalar(select(Volunteer).where(Volunteer.name == name)):
        raise AccountError(f"an account named {name!r} already exists")
    volunteer = Volunteer(name=name, password_hash=hash_password(password), ward=ward.strip())
    db.add(volunteer)
    db.commit()
    return volunteer


def authenticate(db: Session, name: str, password: str) -> Volunteer | None:
    """The active account if the password is right and it is not locked out."""
    volunteer = db.scalar(select(Volunteer).where(Volunteer.name == name.strip().lower()))
    if volunteer is None or not volunteer.active:
        _verify(_DUMMY_HASH, password)
        return None
    now = utcnow()
    if volunteer.locked_until and _aware(volunteer.locked_until) > now:
        return None
    if not _verify(volunteer.password_hash, password):
        volunteer.failed_logins += 1
        if volunteer.failed_logins >= MAX_FAILURES:
            volunteer.locked_until, volunteer.failed_logins = now + timedelta(minutes=LOCK_MINUTES), 0
        db.commit()
        return None
    if _hasher.check_needs_rehash(volunteer.password_hash):
        volunteer.password_hash = _hasher.hash(password)
    volunteer.failed_logins, volunteer.locked_until = 0, None
    db.commit()
    return volunteer


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def _aware(moment: datetime) -> datetime:
    # SQLite gives naive datetimes back; they were written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


# --------------------------------------------------------------------------- CLI


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat the password: "):
        raise AccountError("the two passwords differ")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m web.accounts", description="Volunteer accounts")
    commands = parser.add_subparsers(dest="command", required=True)
    create_cmd = commands.add_parser("create", help="create an account")
    create_cmd.add_argument("name")
    create_cmd.add_argument("--ward", default="", help="the volunteer's usual ward, e.g. 'Phường Kinh Bắc'")
    create_cmd.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    password_cmd = commands.add_parser("set-password", help="change a password")
    password_cmd.add_argument("name")
    password_cmd.add_argument("--password-stdin", action="store_true")
    for name in ("disable", "enable"):
        commands.add_parser(name, help=f"{name} an account").add_argument("name")
    commands.add_parser("list", help="list the accounts")
    args = parser.parse_args(argv)

    db = session_factory(make_engine(Settings.from_env().database_url))()
    try:
        return _run(db, args)
    except AccountError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        db.close()


def _run(db: Session, args: argparse.Namespace) -> int:
    if args.command == "list":
        for v in db.scalars(select(Volunteer).order_by(Volunteer.name)):
            print(f"{v.name}\t{v.ward or '-'}\t{'active' if v.active else 'disabled'}")
        return 0
    if args.command == "create":
        volunteer = create(db, args.name, _read_password(args.password_stdin), args.ward)
        print(f"created {volunteer.name}")
        return 0
    volunteer = db.scalar(select(Volunteer).where(Volunteer.name == args.name.strip().lower()))
    if volunteer is None:
        raise AccountError(f"no account named {args.name!r}")
    if args.command == "set-password":
        volunteer.password_hash = hash_password(_read_password(args.password_stdin))
        volunteer.session_epoch += 1  # signs out everywhere
    else:
        volunteer.active = args.command == "enable"
        volunteer.session_epoch += 1
    db.commit()
    print(f"{args.command}: {volunteer.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Volunteer and staff accounts: password hashing (argon2id), sign-in checks with a growing delay, and the CLI.

python -m web.accounts create NAME [--ward "Phường Kinh Bắc"] [--password-stdin]
python -m web.accounts create NAME --role staff --centre "Phường Kinh Bắc"   # or --role admin (every centre)
python -m web.accounts list | disable NAME | enable NAME | set-password NAME
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from web.db import ROLES, Volunteer, make_engine, session_factory
from web.settings import Settings

MIN_PASSWORD = 10
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
# No hard lock (anyone knowing a name could keep its owner out): after FREE_FAILURES consecutive
# failures each further try on the name waits FIRST_DELAY, doubled per failure, at most MAX_DELAY.
FREE_FAILURES = 5
FIRST_DELAY = 2.0  # seconds
MAX_DELAY = 60.0  # so the owner waits a minute at most
FORGET_AFTER = 86400.0  # seconds without a try, then a name starts afresh
MAX_NAMES = 10_000  # names followed at once; the least recently tried are forgotten first

_hasher = PasswordHasher()
# Compared against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class AccountError(ValueError):
    pass


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def create(
    db: Session, name: str, password: str, ward: str = "", role: str = "volunteer", centre: str = ""
) -> Volunteer:
    name = name.strip().lower()
    if not NAME.match(name):
        raise AccountError("a name is 3-64 characters: lower-case letters, digits, '.', '_' or '-'")
    centre = account_centre(role, centre)
    if db.scalar(select(Volunteer).where(Volunteer.name == name)):
        raise AccountError(f"an account named {name!r} already exists")
    volunteer = Volunteer(name=name, password_hash=hash_password(password), ward=ward.strip(), role=role, centre=centre)
    db.add(volunteer)
    db.commit()
    return volunteer


def account_centre(role: str, centre: str) -> str:
    """The centre key stored for `role`: a staff account's one-stop centre, checked and spelt as
    the handoff spells it ("phuong kinh bac" -> "Phường Kinh Bắc"); "" for the other roles."""
    if role not in ROLES:
        raise AccountError(f"a role is one of {', '.join(ROLES)}")
    if role != "staff":
        if centre.strip():
            raise AccountError(f"only staff accounts belong to a centre (an admin sees every centre), not {role}")
        return ""
    from handoff.conversation import Centres  # the live handoff's code: only staff accounts need it
    from knowledge.locality import Localities

    centres = Centres(Localities.load())
    found = centres.get(centre.strip())
    if found is None:
        raise AccountError(
            f"a staff account needs --centre, one of: {', '.join(centres.keys())}"
            if not centre.strip()
            else f"unknown centre {centre!r}; valid centres: {', '.join(centres.keys())}"
        )
    return found.key


class TooSoon(Exception):
    """The name must wait `wait` seconds before its next try; the password was not checked."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"try again in {wait:.0f} seconds")
        self.wait = wait


def delay_after(failures: int) -> float:
    """Seconds the next try waits after `failures` consecutive failures."""
    if failures < FREE_FAILURES:
        return 0.0
    return min(FIRST_DELAY * 2 ** (failures - FREE_FAILURES), MAX_DELAY)


@dataclass
class _Tries:
    failures: int = 0
    last: float = 0.0  # when the latest try began


class SignInDelays:
    """Consecutive failed sign-ins per name, kept for unknown names too so a delay does not reveal
    which names exist. In memory: a delay lasts a minute at most, so a restart loses nothing that
    matters. A try counts as failed from its start, so parallel guesses cannot slip in together."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.tries: OrderedDict[str, _Tries] = OrderedDict()
        self.clock = clock
        self.lock = threading.Lock()

    def begin(self, name: str) -> None:
        """Start a try on `name`, or raise TooSoon."""
        with self.lock:
            now = self.clock()
            tries = self.tries.pop(name, None)
            if tries is None or now - tries.last > FORGET_AFTER:
                tries = _Tries()
            self.tries[name] = tries  # the most recently tried go last
            wait = tries.last + delay_after(tries.failures) - now
            if wait > 0:
                raise TooSoon(wait)
            tries.failures, tries.last = tries.failures + 1, now
            while len(self.tries) > MAX_NAMES:
                self.tries.popitem(last=False)

    def succeeded(self, name: str) -> None:
        with self.lock:
            self.tries.pop(name, None)


def authenticate(db: Session, name: str, password: str, delays: SignInDelays) -> Volunteer | None:
    """The active account if the password is right; raises TooSoon, before any check, while the name waits."""
    name = name.strip().lower()
    delays.begin(name)
    volunteer = db.scalar(select(Volunteer).where(Volunteer.name == name))
    if volunteer is None or not volunteer.active:
        _verify(_DUMMY_HASH, password)
        return None
    if not _verify(volunteer.password_hash, password):
        return None
    delays.succeeded(name)
    if _hasher.check_needs_rehash(volunteer.password_hash):
        volunteer.password_hash = _hasher.hash(password)
        db.commit()
    return volunteer


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


# --------------------------------------------------------------------------- CLI


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat the password: "):
        raise AccountError("the two passwords differ")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m web.accounts", description="Volunteer and staff accounts")
    commands = parser.add_subparsers(dest="command", required=True)
    create_cmd = commands.add_parser("create", help="create an account")
    create_cmd.add_argument("name")
    create_cmd.add_argument("--ward", default="", help="the volunteer's usual ward, e.g. 'Phường Kinh Bắc'")
    create_cmd.add_argument("--role", default="volunteer", choices=ROLES, help="volunteer (default), staff or admin")
    create_cmd.add_argument("--centre", default="", help="a staff account's one-stop centre, e.g. 'Phường Kinh Bắc'")
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
            print(f"{v.name}\t{v.ward or '-'}\t{'active' if v.active else 'disabled'}\t{v.role}\t{v.centre or '-'}")
        return 0
    if args.command == "create":
        centre = account_centre(args.role, args.centre)  # refused before the password is asked for
        volunteer = create(db, args.name, _read_password(args.password_stdin), args.ward, args.role, centre)
        role = (
            f" ({volunteer.role}{', ' + volunteer.centre if volunteer.centre else ''})"
            if args.role != "volunteer"
            else ""
        )
        print(f"created {volunteer.name}{role}")
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

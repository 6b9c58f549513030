"""Grant a role from the command line: ./setup.sh admin EMAIL [--role moderator|administrator|user].

The first administrator has nobody to grant them the role in the console; this does, and the
change is in the audit log like any other (its actor is "the command line").
"""

import argparse
import sys

from app import create_app
from app.models import admin_users, audit


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="./setup.sh admin", description=__doc__.splitlines()[0].split(": ", 1)[1])
    parser.add_argument("email", help="the account's e-mail address (it must exist: register first)")
    parser.add_argument(
        "--role", choices=admin_users.ROLES, default="administrator", help="the role to give (default administrator)"
    )
    return parser


def main(argv: list[str] | None = None, app=None) -> int:
    """Give the role; return the exit status."""
    args = build_parser().parse_args(argv)
    app = app or create_app()
    with app.app_context():
        user_id = admin_users.get_user_id_by_email(args.email)
        if user_id is None:
            print(f"No account has the e-mail {args.email}: register it first.", file=sys.stderr)
            return 1
        actor = audit.Actor(None, audit.COMMAND_LINE, "command line")
        changed = admin_users.set_role(user_id, args.role, actor, "granted with ./setup.sh admin")
    print(f"{args.email} is {'now' if changed else 'already'} {'an' if args.role[0] in 'aeiou' else 'a'} {args.role}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

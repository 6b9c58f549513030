"""Demo and scale data: a generated marketplace, consistent in every table, loaded with COPY.

`python -m db.generated --help` for the command line; DEMO_LOGINS lists the fixed accounts.
"""

from .people import DEMO_API_TOKEN, DEMO_LOGINS, GENERATED_PASSWORD, format_logins

__all__ = ["DEMO_API_TOKEN", "DEMO_LOGINS", "GENERATED_PASSWORD", "format_logins"]

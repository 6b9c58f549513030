"""python -m db.generated: fill the DATABASE_URL database with a generated marketplace."""

import sys

from .cli import main

sys.exit(main())

"""Named sizes for the generator; any count can be overridden on the command line."""

from .world import Counts

SCALES = {
    # For tests: runs in a few seconds.
    "tiny": Counts(users=60, products=300, offers=900, purchases=300, reviews=500),
    # What ./setup.sh loads: enough to click around and see realistic pages.
    "demo": Counts(users=1_000, products=5_000, offers=15_000, purchases=5_000, reviews=10_000),
    # For benchmarks: about 2.5 million order lines.
    "large": Counts(users=100_000, products=1_000_000, offers=3_000_000, purchases=1_000_000, reviews=1_000_000),
}

"""gunicorn's settings for Bazaar's app servers (Procfile, db/cluster.py, the cluster test):
metrics in multiprocess mode, and no access log — the app writes one JSON line per request
(app/request_log.py), so a second, plain line per request would only repeat it.

Each app server keeps its workers' metrics in a folder of its own (prometheus-client's
multiprocess mode, app/metrics.py): PROMETHEUS_MULTIPROC_DIR if set, else
instance/metrics/<host>-<port> of its first --bind address. The folder is emptied when the server
starts (values left by a server killed earlier would add up with the new ones) and when it stops,
and the files of a worker that exits are marked dead, so its gauges leave the sums.
"""

import contextlib
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent

accesslog = None


def metrics_folder(bind: str) -> tuple[Path, bool]:
    """This server's metrics folder, and whether it is ours (the default) to remove at exit."""
    if folder := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return Path(folder), False
    return ROOT / "instance" / "metrics" / re.sub(r"[^A-Za-z0-9.-]+", "-", bind).strip("-"), True


def on_starting(server) -> None:
    """Before any worker starts (and imports prometheus_client, which reads the variable once)."""
    folder, server.bazaar_own_metrics_folder = metrics_folder(server.cfg.bind[0])
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


def on_exit(server) -> None:
    """The server stopped: its metrics went with it (a killed server's are emptied at its next start)."""
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    for leftover in folder.glob("*.db"):
        leftover.unlink()
    if server.bazaar_own_metrics_folder:
        with contextlib.suppress(OSError):  # not empty: something else was put there
            folder.rmdir()


def child_exit(server, worker) -> None:
    """A worker exited: its live gauges (pool use) leave the sums."""
    from prometheus_client import multiprocess  # after on_starting set the folder

    multiprocess.mark_process_dead(worker.pid)

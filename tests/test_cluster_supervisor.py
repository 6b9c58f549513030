"""`./setup.sh cluster` stops everything it started when it is told to stop, by Ctrl-C or by a
service manager's SIGTERM: db.cluster passes the signal on to honcho and waits for it."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parent.parent


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_a_signal_to_the_cluster_stops_what_honcho_started(tmp_path, stop):
    pid_file = tmp_path / "sleeper.pid"
    procfile = tmp_path / "Procfile"
    procfile.write_text(f"sleeper: echo $$ > {pid_file}; exec sleep 300\n")
    honcho = [str(ROOT / "env" / "bin" / "honcho"), "start", "--procfile", str(procfile)]
    supervisor = subprocess.Popen(  # noqa: S603 - our own module, run by this interpreter
        [sys.executable, "-c", f"import sys; from db.cluster import supervise; sys.exit(supervise({honcho!r}, {{}}))"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        # Only this process gets the signal, as from `kill` or a service manager (not a terminal's group).
        start_new_session=True,
    )
    try:
        # Once honcho has noted the start (its "started (pid=…)" line): honcho 2.0.0 stopped before
        # then fails in its own signal handler (KeyError 'pid') and hangs, whoever sends the signal.
        for line in supervisor.stdout:
            if "started (pid=" in line:
                break
        # And once it is done printing it: honcho prints from its signal handler too, so a signal that
        # interrupts the write of that line fails with "reentrant call" and hangs it (a clean run hit it).
        # Waiting for the sleeper and a moment more leaves honcho idle in its event loop.
        wait_for(lambda: pid_file.exists() and pid_file.read_text().strip())
        time.sleep(0.5)
        sleeper = int(pid_file.read_text())
        assert _alive(sleeper)
        supervisor.send_signal(stop)
        supervisor.wait(timeout=20)
        wait_for(lambda: not _alive(sleeper))
    finally:
        if supervisor.poll() is None:
            os.killpg(supervisor.pid, signal.SIGKILL)
        supervisor.stdout.close()

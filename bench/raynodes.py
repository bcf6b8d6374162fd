"""A Ray cluster of several nodes on this machine (``ray start`` per node), for the bench and tests.

Each ``ray start`` runs in a session of its own, so the daemons it leaves behind share its
process group; stopping the cluster ends exactly those groups (never Ray processes of
someone else on the machine, as ``ray stop`` would).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ENV = {"RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0", "PYTHONPATH": str(ROOT)}
"""This machine only: no token (Ray 2.60 turns token auth on once ~/.ray/auth_token exists);
the nodes' workers import this checkout's ``pipeline``."""


class NodeError(Exception):
    """A node did not start; the message holds ``ray start``'s last words."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _raylets(temp: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if b"raylet/raylet" in cmd and temp.encode() in cmd:
            found.append(int(proc.name))
    return found


class LocalCluster:
    """``nodes`` Ray nodes of ``cpus`` CPUs each on this machine; ``address`` joins them.

    Raises:
        NodeError: a node did not start (the cluster started so far is stopped).
    """

    def __init__(self, nodes: int = 2, cpus: int = 1, object_store: int = 100_000_000) -> None:
        self.temp = tempfile.mkdtemp(prefix="ray-")  # short: Ray's socket paths live under it
        self.address = f"127.0.0.1:{_free_port()}"
        self.groups: list[int] = []
        ray = str(Path(sys.executable).parent / "ray")
        node = [f"--num-cpus={cpus}", f"--object-store-memory={object_store}", "--disable-usage-stats"]
        head = [ray, "start", "--head", f"--port={self.address.split(':')[1]}", "--include-dashboard=false",
                f"--temp-dir={self.temp}"]  # fmt: skip
        others = [[ray, "start", f"--address={self.address}"]] * (nodes - 1)
        try:
            for cmd in [head, *others]:
                proc = subprocess.run([*cmd, *node], env={**os.environ, **ENV}, capture_output=True,
                                      text=True, timeout=120, start_new_session=True)  # fmt: skip
                if proc.returncode != 0:
                    raise NodeError(proc.stderr.strip()[-500:])
                raylets = _raylets(self.temp)
                self.groups.append(os.getpgid(max(raylets)))
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """End every process of the cluster's nodes and remove their folder."""
        for group in self.groups:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(group, sig)
                except ProcessLookupError:
                    break
                time.sleep(1.0)
        self.groups = []
        shutil.rmtree(self.temp, ignore_errors=True)

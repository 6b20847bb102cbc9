"""A real Secret Service for the tests: a private D-Bus session bus and Debian's gnome-keyring-daemon.

Each instance gets its own HOME, XDG_DATA_HOME (where the keyring files live)
and XDG_RUNTIME_DIR, so the user's own keyring is never touched. With a
password, the daemon creates and unlocks the "login" collection the way a
desktop login does (`gnome-keyring-daemon --unlock` reading it on stdin);
without one, it starts locked, as on a machine where nobody unlocked it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path


class SecretService:
    def __init__(self, root: Path, password: str | None = "test-keyring-password") -> None:
        self.root = root
        self.password = password
        self.address = ""
        self._bus: subprocess.Popen[bytes] | None = None
        self._daemon: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> bool:
        return bool(shutil.which("dbus-daemon") and shutil.which("gnome-keyring-daemon"))

    def start(self) -> SecretService:
        run = self.root / "run"
        for d in (self.root / "home", self.root / "data", run):
            d.mkdir(parents=True, exist_ok=True)
        run.chmod(0o700)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.root / "home"),
            "XDG_DATA_HOME": str(self.root / "data"),
            "XDG_RUNTIME_DIR": str(run),
            "LANG": "C.UTF-8",
        }
        self._bus = subprocess.Popen(
            [
                "dbus-daemon",
                "--session",
                "--nofork",
                "--nopidfile",
                "--print-address=1",
                f"--address=unix:path={run}/bus",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        assert self._bus.stdout is not None
        self.address = self._bus.stdout.readline().decode().strip()
        if not self.address:
            raise RuntimeError("dbus-daemon printed no address")
        env["DBUS_SESSION_BUS_ADDRESS"] = self.address
        args = ["gnome-keyring-daemon", "--foreground", "--components=secrets"]
        if self.password is not None:
            args.insert(2, "--unlock")
        self._daemon = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
        )
        assert self._daemon.stdin is not None
        if self.password is not None:
            self._daemon.stdin.write(self.password.encode())
        self._daemon.stdin.close()
        self._wait_for_name(env)
        return self

    def _wait_for_name(self, env: dict[str, str]) -> None:
        # The daemon owns org.freedesktop.secrets once it is ready to answer.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            p = subprocess.run(
                [
                    "dbus-send",
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner",
                    "string:org.freedesktop.secrets",
                ],
                capture_output=True,
                env=env,
                timeout=10,
                check=False,
            )
            if b"boolean true" in p.stdout:
                return
            if self._daemon is not None and self._daemon.poll() is not None:
                raise RuntimeError(f"gnome-keyring-daemon exited with {self._daemon.returncode}")
            time.sleep(0.1)
        raise RuntimeError("gnome-keyring-daemon did not take org.freedesktop.secrets within 20 s")

    def stop(self) -> None:
        for proc in (self._daemon, self._bus):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)
            if proc is not None and proc.stdout is not None:
                proc.stdout.close()

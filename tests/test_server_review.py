"""A hostile review of exec --server's parts (issue 21): a local user starving the endpoint, a hung STS,
a $TMPDIR that others can write. Real sockets on 127.0.0.1 for the endpoint; fakes for the clock and STS."""

from __future__ import annotations

import datetime as dt
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from mfaenv.errors import Exit, MfaenvError
from mfaenv.flow import endpoint
from mfaenv.flow.keeper import RENEW_AT, Keeper
from mfaenv.plan import Session
from mfaenv.store import serverconfig
from tests.conftest import CODE
from tests.helpers import Mfaenv

T0 = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.timezone.utc)


def session(key: str, left: float) -> Session:
    return Session(key, "secret", "token", T0 + dt.timedelta(seconds=left), "prod")


def ask(conn: http.client.HTTPConnection, token: str = "tok") -> int:
    conn.request("GET", "/p", headers={"Authorization": token})
    answer = conn.getresponse()
    answer.read()
    return answer.status


def test_idle_strangers_holding_every_slot_do_not_shut_the_command_out() -> None:
    # Another local user needs no token to connect: holding all the connections, silent
    # or dripping a header, shut the command's SDK out for as long as they liked.
    running = endpoint.Running(endpoint.Endpoint(lambda: session("A", 3600), "tok", "/p"))
    port = int(running.url.split(":")[2].split("/")[0])
    strangers: list[socket.socket] = []
    ours = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    fresh = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        assert ask(ours) == 200  # the command's kept-alive connection, before the strangers
        for _ in range(endpoint.MAX_CONNECTIONS + 5):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b"GET /p HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the end of the headers
            strangers.append(s)
        assert ask(fresh) == 200  # a new connection of the command's is still served
        assert ask(ours) == 200  # and its kept-alive one is not the one dropped
    finally:
        for s in strangers:
            s.close()
        ours.close()
        fresh.close()
        running.close()


def test_a_hung_sts_does_not_hold_the_request_that_started_the_renewal() -> None:
    # botocore's container fetcher gives up after 2 s, the JS SDK v3's after 1 s with no retry:
    # a request with a still-usable session gets it while the renewal waits on STS.
    release = threading.Event()

    def hung() -> Session:
        release.wait(60)
        return session("B", 3600)

    k = Keeper(session("A", RENEW_AT - 60), hung, lambda: T0, lambda _: None)
    got: list[str] = []
    first = threading.Thread(target=lambda: got.append(k.get().access_key_id), daemon=True)
    first.start()
    first.join(20)
    try:
        assert got == ["A"]
    finally:
        release.set()


def test_a_temp_folder_others_can_write_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Without the sticky bit, another user renames our folder and puts theirs, with a config
    # whose [profile mfaenv-server] has a credential_process of theirs, under its name.
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setattr(tempfile, "tempdir", str(shared))
    with pytest.raises(MfaenvError) as e, serverconfig.private_copy(dict(os.environ)):
        pass
    assert str(shared) in e.value.message and "TMPDIR" in e.value.message
    assert list(shared.iterdir()) == []
    shared.chmod(0o1777)  # /tmp's own mode is fine
    with serverconfig.private_copy(dict(os.environ)) as path:
        assert Path(path).parent.parent == shared


def test_exec_server_with_such_a_temp_folder_says_one_line_and_runs_nothing(mfaenv: Mfaenv, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    ran = tmp_path / "ran"
    argv = ("exec", "--server", "--token-code", CODE, "--", "touch", str(ran))
    line = mfaenv.fails(*argv, env={"TMPDIR": str(shared)}, code=2)
    assert "can be changed by other users" in line and "set TMPDIR" in line
    assert not ran.exists() and list(shared.iterdir()) == []


def test_a_request_of_the_commands_waiting_for_a_renewal_is_not_the_one_dropped() -> None:
    started, release = threading.Event(), threading.Event()

    def hung() -> Session:
        started.set()
        release.wait(60)
        return session("B", 3600)

    keep = Keeper(session("A", 60), hung, lambda: T0, lambda _: None)  # under the floor: it waits for the renewal
    running = endpoint.Running(endpoint.Endpoint(keep.get, "tok", "/p"))
    port = int(running.url.split(":")[2].split("/")[0])
    waiting = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    got: list[int] = []
    asker = threading.Thread(target=lambda: got.append(ask(waiting)), daemon=True)
    strangers: list[socket.socket] = []
    try:
        asker.start()
        assert started.wait(20)  # its request is in, waiting for the renewal
        for _ in range(endpoint.MAX_CONNECTIONS + 5):
            strangers.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        last = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        assert ask(last, "not the token") == 403  # answered: every stranger before it was taken in
        last.close()
        release.set()
        asker.join(20)
        assert got == [200]
    finally:
        release.set()
        for s in strangers:
            s.close()
        waiting.close()
        running.close()


def test_sts_denying_a_renewal_is_not_asked_again_on_every_request() -> None:
    # AccessDenied (a trust policy changed during the run, or a hostile STS) is Exit.AUTH, not a
    # needed code: it was retried on every request, one AssumeRole per SDK call in the last 15 minutes.
    calls: list[int] = []

    def denied() -> Session:
        calls.append(1)
        raise MfaenvError("AWS denied AssumeRole to ...: not authorized", Exit.AUTH)

    said: list[str] = []
    k = Keeper(session("A", RENEW_AT - 60), denied, lambda: T0, said.append)
    assert [k.get().access_key_id for _ in range(5)] == ["A"] * 5
    assert len(calls) == 1 and len(said) == 1


TERM_WHILE_THE_COPY_EXISTS = """
import datetime as dt, os, signal, sys
from mfaenv.cli import server
from mfaenv.plan import Session

made = server.command_env


def term_then(*args):  # the copy is on disk: a TERM now
    os.kill(os.getpid(), signal.SIGTERM)
    return made(*args)


server.command_env = term_then
first = Session("A", "s", "t", dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1), "default")
sys.exit(server.run(("touch", sys.argv[1]), dict(os.environ), first, lambda: first))
"""


def test_a_term_while_the_config_copy_exists_deletes_it_and_starts_nothing(tmp_path: Path) -> None:
    temp = tmp_path / "temp"
    temp.mkdir(mode=0o700)
    script = tmp_path / "term.py"
    script.write_text(TERM_WHILE_THE_COPY_EXISTS)
    ran = tmp_path / "ran"
    env = dict(os.environ, TMPDIR=str(temp))
    p = subprocess.run([sys.executable, str(script), str(ran)], env=env, capture_output=True, timeout=60)
    assert p.returncode == 128 + signal.SIGTERM, p
    assert list(temp.iterdir()) == [] and not ran.exists()


def test_a_strangers_endless_headers_are_not_read_on() -> None:
    # The stdlib takes 100 headers of 64 KiB each: 64 strangers made mfaenv hold 400 MiB.
    running = endpoint.Running(endpoint.Endpoint(lambda: session("A", 3600), "tok", "/p"))
    port = int(running.url.split(":")[2].split("/")[0])
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        with pytest.raises(OSError):  # the endpoint hung up long before: a broken pipe, or reset
            s.sendall(b"GET /p HTTP/1.1\r\n")
            for _ in range(99):  # each under the stdlib's 64 KiB a line; never the blank line
                s.sendall(b"X: " + b"a" * 60_000 + b"\r\n")
            s.recv(1)
        ours = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        assert ask(ours) == 200  # an SDK's request, twice on one connection
        assert ask(ours) == 200
        ours.close()
    finally:
        s.close()
        running.close()


@pytest.mark.parametrize("header", ['[profile "mfaenv-server"]', "[profile 'mfaenv-server']"])
def test_a_users_profile_named_mfaenv_server_in_quotes_is_not_merged_into_ours(tmp_path: Path, header: str) -> None:
    # The JS SDK v3 reads that section as profile mfaenv-server and merges it with ours: its
    # credential_process (or keys) would sign the command's calls instead of the endpoint.
    config = tmp_path / "config"
    config.write_text(f"[default]\nregion = eu-west-1\n{header}\ncredential_process = /somewhere/else\n")
    (tmp_path / "credentials").write_text("")
    env = dict(os.environ, AWS_CONFIG_FILE=str(config), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"))
    with pytest.raises(MfaenvError, match="exists already"):
        serverconfig.contents(env)
    config.write_text('[default]\nregion = eu-west-1\n[profile "work"]\nregion = us-east-1\n')
    assert serverconfig.contents(env).endswith(b"[profile mfaenv-server]\nregion = eu-west-1\n")

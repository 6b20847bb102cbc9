"""The AWS files' index (store.index): used, invalidated by any edit, holding no secret; a cached
login parses no section it does not need. Counts, never times."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mfaenv.store import config, index, roles, sections, views

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY1"
ROLES = 300


def _files(home: Path, roles_count: int = ROLES) -> dict[str, str]:
    lines = ["[default]", "region = us-east-1", "mfa_serial = arn:aws:iam::123456789012:mfa/alice", ""]
    for i in range(roles_count):
        lines += [f"[profile r{i:04d}]", f"role_arn = arn:aws:iam::{100000000000 + i}:role/Admin", "source_profile = default", ""]
    (home / "cfg").write_text("\n".join(lines))
    (home / "cred").write_text(f"[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = {SECRET}\n")
    return {"AWS_CONFIG_FILE": str(home / "cfg"), "AWS_SHARED_CREDENTIALS_FILE": str(home / "cred"), "HOME": str(home)}


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each read starts as a new process would (no in-process memo); the index is written at once."""
    monkeypatch.setattr(index, "RACY_NS", -(10**18))
    monkeypatch.setattr(config, "_parsed", {})


def _read(env: dict[str, str]) -> tuple[object, ...]:
    config._parsed.clear()  # noqa: SLF001 - as a new process
    return config.parsed(env)


def _index_files(home: Path) -> list[Path]:
    return sorted((home / ".cache" / "mfaenv" / "index").glob("*.json"))


def test_a_cached_login_parses_only_the_sections_it_needs(isolated: Path, fresh: None, monkeypatch: pytest.MonkeyPatch) -> None:
    env = _files(isolated)
    _read(env)  # the first call after the files were written builds the index
    parsed_alone: list[str] = []
    real = sections.parse_one

    def counting(chunk: bytes, name: str) -> dict[str, str] | None:
        parsed_alone.append(name)
        return real(chunk, name)

    monkeypatch.setattr(sections, "parse_one", counting)
    before = views.full_parses
    merged = _read(env)[0]
    chain = roles.resolve("r0123", merged)  # type: ignore[arg-type]
    profile = config.load_profile(chain.source, env)
    assert chain.roles[0].arn == "arn:aws:iam::100000000123:role/Admin"
    assert profile.access_key_id == "AKIAIOSFODNN7EXAMPLE" and profile.secret_access_key == SECRET
    assert views.full_parses == before, "a whole file was parsed again"
    # The role's section and its source's, once from each file: none of the other 299 roles.
    assert sorted(set(parsed_alone)) == ["default", "profile r0123"]
    assert len(ROLES_NAMES := list(merged)) == ROLES + 1 and "r0299" in ROLES_NAMES  # every name, no value


def test_an_edit_of_the_same_size_and_mtime_is_seen(isolated: Path, fresh: None) -> None:
    env = _files(isolated)
    assert _read(env)[0]["r0007"]["role_arn"].endswith(":100000000007:role/Admin")
    cfg = isolated / "cfg"
    before = os.stat(cfg)
    time.sleep(0.05)  # past the file system's clock tick, so the write gets a new ctime
    text = cfg.read_text().replace("100000000007", "999999999997")
    with open(cfg, "r+") as f:  # in place: same inode, same size
        f.write(text)
    os.utime(cfg, ns=(before.st_atime_ns, before.st_mtime_ns))  # mtime put back; ctime cannot be
    after = os.stat(cfg)
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)
    parses = views.full_parses
    assert _read(env)[0]["r0007"]["role_arn"].endswith(":999999999997:role/Admin")
    assert views.full_parses == parses + 1  # the config again (the index no longer fits), not the credentials


def test_a_new_profile_is_seen_at_once(isolated: Path, fresh: None) -> None:
    env = _files(isolated)
    assert "added" not in _read(env)[0]
    with open(isolated / "cfg", "a") as f:
        f.write("\n[profile added]\nregion = eu-west-1\n")
    assert _read(env)[0]["added"] == {"region": "eu-west-1"}


def test_the_index_holds_no_value_and_is_private(isolated: Path, fresh: None) -> None:
    env = _files(isolated)
    _read(env)
    files = _index_files(isolated)
    assert len(files) == 2
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        text = path.read_text()
        assert SECRET not in text and "AKIAIOSFODNN7EXAMPLE" not in text and "arn:aws" not in text
    assert stat.S_IMODE(files[0].parent.stat().st_mode) == 0o700


def test_a_file_changed_just_now_gets_no_index(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Within RACY_NS of a change a second same-size edit could keep every stamp: no index is trusted then."""
    monkeypatch.setattr(config, "_parsed", {})
    env = _files(isolated)
    assert _read(env)[0]["r0001"]
    assert _index_files(isolated) == []


def test_a_damaged_index_is_not_believed(isolated: Path, fresh: None) -> None:
    env = _files(isolated)
    _read(env)
    for path in _index_files(isolated)[:1]:  # config-*.json
        doc = json.loads(path.read_text())
        # Same lengths, wrong entries: r0042's bounds are r0041's, default's section is r0009's.
        width = 2 * views.OFFSET_DIGITS
        bounds = doc["bounds"]
        if len(bounds) > 44 * width:
            doc["bounds"] = bounds[: 43 * width] + bounds[42 * width : 43 * width] + bounds[44 * width :]
        doc["winners"] = "00000a" + doc["winners"][6:]
        path.write_text(json.dumps(doc))
    before = views.full_parses
    merged = _read(env)[0]
    assert merged["r0042"]["role_arn"].endswith(":100000000042:role/Admin")
    assert merged["default"]["aws_secret_access_key"] == SECRET
    assert dict(merged["default"]) == {
        "region": "us-east-1",
        "mfa_serial": "arn:aws:iam::123456789012:mfa/alice",
        "aws_access_key_id": "AKIAIOSFODNN7EXAMPLE",
        "aws_secret_access_key": SECRET,
    }
    assert views.full_parses == before + 1  # the damaged entries sent it to the whole config, once
    for path in _index_files(isolated):
        path.write_text("{not json")
    assert _read(env)[0]["r0002"]["source_profile"] == "default"


def test_no_cache_writes_no_index(isolated: Path, fresh: None) -> None:
    env = {**_files(isolated), "MFAENV_NO_CACHE": "1"}
    assert _read(env)[0]["r0003"]
    assert _index_files(isolated) == []


def test_keys_are_found_by_the_index_bits(isolated: Path, fresh: None) -> None:
    env = _files(isolated)
    with open(isolated / "cfg", "a") as f:
        f.write("\n[profile stored]\nmfaenv_keyring = AKIAIOSFODNN7EXAMPLF\n[profile empty]\naws_access_key_id =\n")
    _read(env)
    merged = _read(env)[0]
    assert sorted(merged.holding_keys()) == ["default", "stored"]  # type: ignore[attr-defined]


def test_completion_sees_an_edit_through_the_cli(isolated: Path) -> None:
    """End to end, in new processes: the index built by one completion, an edit, the next completion."""
    env = {**os.environ, **_files(isolated, 40), "_MFAENV_COMPLETE": "bash_complete", "COMP_CWORD": "3"}
    env["COMP_WORDS"] = "mfaenv login --profile r003"

    def complete() -> list[str]:
        p = subprocess.run([sys.executable, "-m", "mfaenv"], env=env, capture_output=True, timeout=60, check=True)
        return [line.split(",", 1)[1] for line in p.stdout.decode().splitlines()]

    cfg = isolated / "cfg"
    old = time.time() - 60  # older than RACY_NS, so the first completion writes the index
    os.utime(cfg, (old, old))
    os.utime(isolated / "cred", (old, old))
    time.sleep(2.1)  # and its ctime too (ctime cannot be set back)
    assert complete() == [f"r003{i}" for i in range(10)]
    assert len(_index_files(isolated)) == 2
    cfg.write_text(cfg.read_text().replace("[profile r0035]", "[profile x0035]"))  # same size
    os.utime(cfg, (old, old))
    assert complete() == [f"r003{i}" for i in range(10) if i != 5]


def test_the_botocore_client_reads_no_file_again(isolated: Path, fresh: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh login parses each file once: botocore gets mfaenv's reading, endpoint settings included."""
    import botocore.configloader

    from mfaenv.aws.client import make_client

    env = _files(isolated)
    with open(isolated / "cfg", "a") as f:
        f.write("\n[profile r9001]\nservices = local\n[services local]\nsts =\n  endpoint_url = http://127.0.0.1:9\n")
        f.write("[profile other]\nendpoint_url = http://127.0.0.1:8\n")
    for k, v in env.items():
        monkeypatch.setenv(k, v)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("botocore parsed an AWS file itself")

    monkeypatch.setattr(botocore.configloader, "raw_config_parse", refuse)
    monkeypatch.setattr(botocore.configloader, "load_config", refuse)
    source = config.load_profile("default", os.environ)
    parses = views.full_parses
    role = make_client(source._replace(name="r9001"), "sts")
    assert role.meta.endpoint_url == "http://127.0.0.1:9"
    assert make_client(source._replace(name="other"), "sts").meta.endpoint_url == "http://127.0.0.1:8"
    assert make_client(source, "sts").meta.endpoint_url.startswith("https://sts.")
    assert views.full_parses == parses

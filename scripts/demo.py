"""Demo: start moto's STS server, create an IAM user with an MFA device, run `mfaenv login`.

Prints the statements for the shell you ran it from (or `--shell NAME`), then
evaluates them in that shell, when it is installed, and shows the session it holds.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

CODE = "123456"  # the emulator accepts any six digits


def main() -> int:
    shell_args = sys.argv[1:]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    home = tempfile.mkdtemp(prefix="mfaenv-demo-")
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(port)
        env = _account(url, home)
        print(f"# STS emulator: {url}   HOME for this demo: {home}", file=sys.stderr)
        print(f"$ mfaenv login --token-code {CODE} {' '.join(shell_args)}".rstrip(), file=sys.stderr)
        login = subprocess.run(
            [sys.executable, "-m", "mfaenv", "login", "--token-code", CODE, *shell_args],
            env=env,
            stdout=subprocess.PIPE,
            check=False,
        )
        if login.returncode:
            return login.returncode
        statements = login.stdout.decode()
        print(statements, end="")
        _show(statements, shell_args, env, home)
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(home, ignore_errors=True)
    return 0


def _wait(port: int) -> None:
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("demo: moto server did not start")


def _account(url: str, home: str) -> dict[str, str]:
    import boto3

    iam = boto3.client(
        "iam",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIADEMOADMIN0000000",
        aws_secret_access_key="x",
    )
    iam.create_user(UserName="demo")
    key = iam.create_access_key(UserName="demo")["AccessKey"]
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="demo")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(
        UserName="demo", SerialNumber=serial, AuthenticationCode1="111111", AuthenticationCode2="222222"
    )
    os.makedirs(f"{home}/.aws")
    with open(f"{home}/.aws/credentials", "w") as f:
        f.write(
            f"[default]\naws_access_key_id = {key['AccessKeyId']}\naws_secret_access_key = {key['SecretAccessKey']}\n"
        )
    with open(f"{home}/.aws/config", "w") as f:
        f.write(f"[default]\nregion = us-east-1\nmfa_serial = {serial}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {
        **env,
        "HOME": home,
        "AWS_ENDPOINT_URL": url,
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": "127.0.0.1,localhost",
    }


def _show(statements: str, shell_args: list[str], env: dict[str, str], home: str) -> None:
    """Evaluate the statements in the shell they were printed for, and show the result."""
    from mfaenv import shells

    shell = shells.resolve(shell_args[1] if shell_args[:1] == ["--shell"] else None, env)
    path = os.path.join(home, "statements")
    with open(path, "w") as f:
        f.write(statements)
    binary = shell.alias  # bash, zsh, dash, ... as asked or detected
    script = {
        "bash": f'eval "$(cat {path})"; env',
        "fish": f"cat {path} | source; env",
        "tcsh": f'eval "`cat {path}`"; env',
        "nu": f"open --raw {path} | from json | load-env; ^env",
        "elvish": f"eval (slurp < {path}); env",
        "xonsh": f"exec(open({path!r}).read())\nenv",  # no $(cat): see tests/realshells.py
    }.get(shell.name)
    if script is None or shutil.which(binary) is None:
        print(f"# ({shell.name} is not runnable here; evaluate the lines above with: {shell.usage()})", file=sys.stderr)
        return
    out = subprocess.run([binary, "-c", script], env=env, capture_output=True, text=True, check=False).stdout
    got = dict(line.split("=", 1) for line in out.splitlines() if line.startswith(("AWS_", "MFAENV_")))
    left = int(got.get("MFAENV_EXPIRES", "0")) - int(time.time())
    print(f"\n# after `{shell.usage()}` in {binary}, the shell holds:", file=sys.stderr)
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "MFAENV_PROFILE",
        "MFAENV_EXPIRES",
    ):
        value = got.get(name, "(unset)")
        shown = value[:6] + "..." if name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN") else value
        print(f"#   {name}={shown}", file=sys.stderr)
    print(
        f"# session profile {got.get('MFAENV_PROFILE')}, {left // 3600}h{left % 3600 // 60:02d}m left", file=sys.stderr
    )


if __name__ == "__main__":
    sys.exit(main())

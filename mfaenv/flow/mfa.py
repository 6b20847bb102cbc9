"""The MFA device and the one code of a login: configured or looked up, given, from a token command, or asked.

Questions go to the controlling terminal only (mfaenv.terminal), so this works
under `eval "$(mfaenv login)"`; the terminal is opened on first use, so a login
with --token-code never needs one. Used by flow.login's Context.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Mapping

from mfaenv import inputs
from mfaenv.aws import iam, sts
from mfaenv.errors import Exit, MfaenvError, oneline
from mfaenv.store import roles, usedcodes
from mfaenv.store.config import SourceProfile, read_profiles
from mfaenv.terminal import ask, open_tty, run_token_command, say

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import TextIO

    from mfaenv.flow.login import LoginRequest

CODE_ATTEMPTS = 3


class NeedsCode(MfaenvError):
    """A login that may not ask (the credential server's renewals) needs a new MFA code."""

    def __init__(self, profile: str) -> None:
        super().__init__(
            f"a new session of profile {profile!r} needs an MFA code: run "
            f"`mfaenv login --fresh --profile {profile}` in another terminal",
            Exit.AUTH,
        )
        self.profile = profile


class Terminal:
    """Opens the terminal on first use, so a login with --token-code never needs one.

    `ask` False: never opens it (the credential server asks nothing), as if there were none.
    """

    def __init__(self, stack: contextlib.ExitStack, ask: bool = True) -> None:
        self._stack = stack
        self._tty: tuple[TextIO, TextIO] | None | bool = False if ask else None
        self.asked = 0  # code questions so far: CODE_ATTEMPTS in all, malformed or refused by STS

    def tell(self, text: str) -> None:
        """A line for the person answering, on the terminal already open."""
        _, wr = self.get("the MFA code")
        wr.write(f"mfaenv: {text}\n")
        wr.flush()

    def get(self, why: str) -> tuple[TextIO, TextIO]:
        if self._tty is False:
            self._tty = self._stack.enter_context(open_tty())
        if self._tty is None:
            raise MfaenvError(f"no terminal to ask for {why} on; {_NO_TTY_HINT[why]}")
        return self._tty


_NO_TTY_HINT = {
    "the MFA code": "pass --token-code or --token-command, or set mfaenv_token_command in the profile",
    "an MFA device": "pass --serial-number or set mfa_serial in the profile",
    "an answer": "",
}


def refuse_reused(folder: str | None, serial: str, code: str, now: dt.datetime) -> None:
    when = usedcodes.used_at(folder, serial, code, now)
    if when is not None:
        raise MfaenvError(
            f"this MFA code was already used at {when:%H:%M:%S} UTC, and AWS accepts each code once; "
            "wait for the next code"
        )


def given_code(code: str | None) -> str | None:
    if code is None:
        return None
    checked = inputs.check_code(code)
    if checked is None:
        raise MfaenvError("--token-code must be the 6 digits your MFA device shows")
    return checked


def configured_serial(
    req: LoginRequest, env: Mapping[str, str], target: roles.Chain, profile: SourceProfile
) -> str | None:
    """The MFA device's serial from the flag, MFAENV_MFA_SERIAL or the profiles; None if unset.

    For a role: its own mfa_serial, else the next one down its chain (roles.resolve).
    """
    for source, value in (
        ("--serial-number", req.serial),
        ("MFAENV_MFA_SERIAL", env.get("MFAENV_MFA_SERIAL")),
        (f"mfa_serial of profile {target.serial_from!r}", target.mfa_serial),
        (f"mfa_serial of profile {profile.name!r}", profile.mfa_serial),
    ):
        if value:
            return inputs.check_serial(value, source)
    return None


def discover_serial(
    profile: SourceProfile, terminal: Terminal, env: Mapping[str, str], note: Callable[[str], None]
) -> tuple[str, bool]:
    """The serial of the caller's MFA device, from IAM, and whether the caller is root."""
    # No serial configured: ask IAM which devices the caller has. The usual
    # force-MFA policy allows this without MFA. GetCallerIdentity first, because
    # ListMFADevices needs the user name (and tells us about the root user).
    arn = sts.caller_arn(profile)
    root = inputs.is_root_arn(arn)
    user = None if root or ":user/" not in arn else arn.rsplit("/", 1)[-1]
    devices = _checked_serials(iam.list_mfa_devices(profile, user))
    if not devices:
        raise MfaenvError(f"{arn} has no MFA device; assign one in the IAM console, or pass --serial-number")
    serial = devices[0] if len(devices) == 1 else _pick(terminal, devices)
    _offer_to_save(terminal, profile, serial, env, note)
    return serial, root or inputs.is_root_serial(serial)


def _checked_serials(serials: list[str]) -> list[str]:
    """IAM's serials through the same check as a configured one, before any is shown or saved."""
    checked = []
    for serial in serials:
        try:
            checked.append(inputs.check_serial(serial, "IAM"))
        except MfaenvError:
            # Shown short and escaped: the value came from the endpoint.
            shown = repr(serial[:80]) + ("..." if len(serial) > 80 else "")
            raise MfaenvError(
                f"IAM's ListMFADevices answer lists a serial that is not an MFA device ARN or hardware serial "
                f"({shown}); check the IAM endpoint (AWS_ENDPOINT_URL_IAM)",
                Exit.AWS,
            ) from None
    return checked


def _offer_to_save(
    terminal: Terminal, profile: SourceProfile, serial: str, env: Mapping[str, str], note: Callable[[str], None]
) -> None:
    """Offer to save the serial as mfa_serial, so the next login skips the IAM lookup."""
    from mfaenv.store.config import config_paths

    path, credentials = config_paths(env)[0][1], config_paths(env)[1][1]
    try:
        tty = terminal.get("an answer")
    except MfaenvError:
        # A note for after success: with no terminal, a code question may still fail.
        note(f"using MFA device {serial}; add `mfa_serial = {serial}` to profile {profile.name!r} to skip this lookup")
        return
    answer = ask(tty, f"Save {serial} as mfa_serial of profile {profile.name!r} in {path}? [y/N] ")
    if answer.strip().lower() in ("y", "yes"):
        from pathlib import Path

        from mfaenv.store import credfile

        section = "default" if profile.name == "default" else f"profile {profile.name}"
        credfile.set_value(Path(path), section, "mfa_serial", serial, say, lock=Path(credentials))
        say(f"saved mfa_serial in [{section}] of {path}")


def _pick(terminal: Terminal, devices: list[str]) -> str:
    listing = ", ".join(f"{i}) {d}" for i, d in enumerate(devices, 1))
    try:
        tty = terminal.get("an MFA device")
    except MfaenvError:
        raise MfaenvError(f"several MFA devices ({listing}); pass one with --serial-number") from None
    rd, wr = tty
    wr.write("".join(f"  {i}) {oneline(d)}\n" for i, d in enumerate(devices, 1)))
    for _ in range(CODE_ATTEMPTS):
        chosen = inputs.number(ask(tty, f"MFA device [1-{len(devices)}]: ").strip(), 3)
        if chosen is not None and 1 <= chosen <= len(devices):
            return devices[chosen - 1]
        wr.write(f"mfaenv: type a number from 1 to {len(devices)}\n")
    raise MfaenvError("no MFA device chosen; pass one with --serial-number")


def token_command(
    req: LoginRequest, env: Mapping[str, str], target: roles.Chain, profile: SourceProfile
) -> tuple[str, str] | None:
    """(command, where it came from): --token-command, MFAENV_TOKEN_COMMAND, or the profile's
    `mfaenv_token_command` (a role's, else its source's), so credential_process, cron and the
    prompt's auto-login get codes too."""
    own = read_profiles(env).get(target.target, {}) if target.roles else {}
    for source, value in (
        ("--token-command", req.token_command),
        ("MFAENV_TOKEN_COMMAND", env.get("MFAENV_TOKEN_COMMAND")),
        (f"mfaenv_token_command of profile {target.target!r}", own.get("mfaenv_token_command")),
        (f"mfaenv_token_command of profile {profile.name!r}", profile.settings.get("mfaenv_token_command")),
    ):
        if value and value.strip():
            return value.strip(), source
    return None


def code_from_command(command: str, source: str, env: Mapping[str, str]) -> str:
    code = inputs.code_in_output(run_token_command(command, env, source))
    if code is None:
        raise MfaenvError(f"the token command from {source} printed no 6-digit code")
    return code


_SIX_DIGITS = "the code is the 6 digits your MFA device shows"


def ask_code(terminal: Terminal, serial: str, codes: str | None, now: dt.datetime, why: str = "") -> str:
    tty = terminal.get("the MFA code")
    while terminal.asked < CODE_ATTEMPTS:
        terminal.asked += 1
        code = inputs.check_code(ask(tty, f"MFA code for {serial}{why}: "))
        if code and usedcodes.used_at(codes, serial, code, now) is None:
            return code
        terminal.tell("that code was already used; wait for the next one" if code else _SIX_DIGITS)
    raise MfaenvError(f"no valid MFA code after {CODE_ATTEMPTS} tries")

"""The login flow (DESIGN.md steps 1-6): profile, serial, code, duration, STS.

Returns a Session; planning and rendering are the caller's. Questions go to
the controlling terminal only, so this works under `eval "$(mfaenv login)"`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import namedtuple
from collections.abc import Callable, Mapping

from mfaenv import cache, inputs, sts, usedcodes
from mfaenv.config import SourceProfile, choose_profile, load_profile
from mfaenv.errors import Exit, MfaenvError
from mfaenv.plan import Session
from mfaenv.status import span
from mfaenv.terminal import ask, open_tty, run_token_command, say

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import TextIO

CODE_ATTEMPTS = 3


class LoginRequest(
    namedtuple(
        "LoginRequest",
        "profile serial token_code token_command duration fresh",
        defaults=(None, None, None, None, None, False),
    )
):
    """What the user asked for; `fresh` skips the cache."""

    __slots__ = ()

    def __repr__(self) -> str:  # the one-time code stays out of logs
        return f"LoginRequest(profile={self.profile!r}, serial={self.serial!r}, fresh={self.fresh!r})"


class _Terminal:
    """Opens the terminal on first use, so a login with --token-code never needs one."""

    def __init__(self, stack: contextlib.ExitStack) -> None:
        self._stack = stack
        self._tty: tuple[TextIO, TextIO] | None | bool = False

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


def login(req: LoginRequest, env: Mapping[str, str], now: dt.datetime, note: Callable[[str], None] = say) -> Session:
    """A session for the request: from the cache while enough is left, else from STS.

    `note` takes what is worth saying once the command has succeeded (the caller
    decides when: a failure afterwards must still be one line).
    """
    # Check what needs no network first, so a typo costs nothing.
    explicit_duration = req.duration if req.duration is not None else env.get("MFAENV_DURATION")
    duration_source = "--duration" if req.duration is not None else "MFAENV_DURATION"
    duration = (
        inputs.DEFAULT_DURATION
        if explicit_duration is None
        else inputs.parse_duration(explicit_duration, source=duration_source)
    )
    code = _given_code(req.token_code)
    margin = inputs.margin(env)
    profile = load_profile(choose_profile(req.profile, env), env)
    configured = _configured_serial(req, env, profile)
    use_cache = env.get("MFAENV_NO_CACHE", "") in ("", "0")
    # MFAENV_NO_CACHE=1 touches no cache file at all, used codes included: the way out of a broken cache folder.
    folder = cache.folder(dict(env)) if use_cache else None
    region = _profile_region(profile)
    if folder is not None and not req.fresh:
        wanted = duration if explicit_duration is not None else None
        cached = cache.lookup(folder, profile.name, profile.access_key_id, configured, now, margin, wanted)
        if cached:
            # So nobody wonders why no code was asked.
            left = span(int((cached.expiration - now).total_seconds()))
            note(f"using the cached session for {profile.name}, {left} left; --fresh for a new one")
            return cached._replace(region=region)

    session, serial, code, duration = _new_session(
        req, env, folder, profile, configured, code, duration, explicit_duration, now
    )
    # The session exists now: a cache that cannot be written must not cost it.
    if folder is not None:
        try:
            cache.store(folder, profile.name, profile.access_key_id, serial, session, now, duration)
            usedcodes.remember(folder, serial, code, now)
        except (OSError, MfaenvError) as e:
            say(f"warning: could not cache the session ({getattr(e, 'strerror', None) or e}); it is not shared")
    return session._replace(region=region)


def _profile_region(profile: SourceProfile) -> str | None:
    """The profile's own region, which the shell loses when AWS_PROFILE is moved aside."""
    region = profile.settings.get("region", "").strip()
    return inputs.check_region(region, f"profile {profile.name!r}") if region else None


def _new_session(
    req: LoginRequest,
    env: Mapping[str, str],
    codes: str | None,
    profile: SourceProfile,
    configured: str | None,
    code: str | None,
    duration: int,
    explicit_duration: str | None,
    now: dt.datetime,
) -> tuple[Session, str, str, int]:
    # A key file's passphrase (or a keyring's unlock) comes before the code, which expires.
    profile.secret_access_key  # noqa: B018 - read for its side effect: the store is opened now
    with contextlib.ExitStack() as stack:
        terminal = _Terminal(stack)
        if configured:
            serial, root = configured, inputs.is_root_serial(configured)
        else:
            serial, root = _discover_serial(profile, terminal, env)
        if root:
            if explicit_duration is not None:
                source = "--duration" if req.duration is not None else "MFAENV_DURATION"
                duration = inputs.parse_duration(explicit_duration, root=True, source=source)
            else:
                duration = min(duration, inputs.MAX_ROOT_DURATION)
        command = None if code else _token_command(req, env, profile)
        if code is None and command is None:
            code = _ask_code(terminal, serial, codes, now)
        else:
            code = code or _code_from_command(*command, env)  # type: ignore[misc]
            _refuse_reused(codes, serial, code, now)
    return sts.get_session_token(profile, serial, code, duration, now), serial, code, duration


def _refuse_reused(folder: str | None, serial: str, code: str, now: dt.datetime) -> None:
    when = usedcodes.used_at(folder, serial, code, now)
    if when is not None:
        raise MfaenvError(
            f"this MFA code was already used at {when:%H:%M:%S} UTC, and AWS accepts each code once; "
            "wait for the next code"
        )


def _given_code(code: str | None) -> str | None:
    if code is None:
        return None
    checked = inputs.check_code(code)
    if checked is None:
        raise MfaenvError("--token-code must be the 6 digits your MFA device shows")
    return checked


def _configured_serial(req: LoginRequest, env: Mapping[str, str], profile: SourceProfile) -> str | None:
    """The MFA device's serial from the flag, MFAENV_MFA_SERIAL or the profile; None if unset."""
    for source, value in (
        ("--serial-number", req.serial),
        ("MFAENV_MFA_SERIAL", env.get("MFAENV_MFA_SERIAL")),
        (f"mfa_serial of profile {profile.name!r}", profile.mfa_serial),
    ):
        if value:
            return inputs.check_serial(value, source)
    return None


def _discover_serial(profile: SourceProfile, terminal: _Terminal, env: Mapping[str, str]) -> tuple[str, bool]:
    """The serial of the caller's MFA device, from IAM, and whether the caller is root."""
    # No serial configured: ask IAM which devices the caller has. The usual
    # force-MFA policy allows this without MFA. GetCallerIdentity first, because
    # ListMFADevices needs the user name (and tells us about the root user).
    arn = sts.caller_arn(profile)
    root = inputs.is_root_arn(arn)
    user = None if root or ":user/" not in arn else arn.rsplit("/", 1)[-1]
    devices = _checked_serials(sts.list_mfa_devices(profile, user))
    if not devices:
        raise MfaenvError(f"{arn} has no MFA device; assign one in the IAM console, or pass --serial-number")
    serial = devices[0] if len(devices) == 1 else _pick(terminal, devices)
    _offer_to_save(terminal, profile, serial, env)
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


def _offer_to_save(terminal: _Terminal, profile: SourceProfile, serial: str, env: Mapping[str, str]) -> None:
    """Offer to save the serial as mfa_serial, so the next login skips the IAM lookup."""
    from mfaenv.config import config_paths

    path, credentials = config_paths(env)[0][1], config_paths(env)[1][1]
    try:
        tty = terminal.get("an answer")
    except MfaenvError:
        say(f"using MFA device {serial}; add `mfa_serial = {serial}` to profile {profile.name!r} to skip this lookup")
        return
    answer = ask(tty, f"Save {serial} as mfa_serial of profile {profile.name!r} in {path}? [y/N] ")
    if answer.strip().lower() in ("y", "yes"):
        from pathlib import Path

        from mfaenv import credfile

        section = "default" if profile.name == "default" else f"profile {profile.name}"
        credfile.set_value(Path(path), section, "mfa_serial", serial, say, lock=Path(credentials))
        say(f"saved mfa_serial in [{section}] of {path}")


def _pick(terminal: _Terminal, devices: list[str]) -> str:
    listing = ", ".join(f"{i}) {d}" for i, d in enumerate(devices, 1))
    try:
        tty = terminal.get("an MFA device")
    except MfaenvError:
        raise MfaenvError(f"several MFA devices ({listing}); pass one with --serial-number") from None
    rd, wr = tty
    wr.write("".join(f"  {i}) {d}\n" for i, d in enumerate(devices, 1)))
    for _ in range(CODE_ATTEMPTS):
        answer = ask(tty, f"MFA device [1-{len(devices)}]: ").strip()
        if answer.isdigit() and 1 <= int(answer) <= len(devices):
            return devices[int(answer) - 1]
        wr.write(f"mfaenv: type a number from 1 to {len(devices)}\n")
    raise MfaenvError("no MFA device chosen; pass one with --serial-number")


def _token_command(req: LoginRequest, env: Mapping[str, str], profile: SourceProfile) -> tuple[str, str] | None:
    """(command, where it came from): --token-command, MFAENV_TOKEN_COMMAND, or the profile's
    `mfaenv_token_command`, so credential_process, cron and the prompt's auto-login get codes too."""
    for source, value in (
        ("--token-command", req.token_command),
        ("MFAENV_TOKEN_COMMAND", env.get("MFAENV_TOKEN_COMMAND")),
        (f"mfaenv_token_command of profile {profile.name!r}", profile.settings.get("mfaenv_token_command")),
    ):
        if value and value.strip():
            return value.strip(), source
    return None


def _code_from_command(command: str, source: str, env: Mapping[str, str]) -> str:
    code = inputs.code_in_output(run_token_command(command, env, source))
    if code is None:
        raise MfaenvError(f"the token command from {source} printed no 6-digit code")
    return code


def _ask_code(terminal: _Terminal, serial: str, codes: str | None, now: dt.datetime) -> str:
    tty = terminal.get("the MFA code")
    _, wr = tty
    for _ in range(CODE_ATTEMPTS):
        code = inputs.check_code(ask(tty, f"MFA code for {serial}: "))
        if code and usedcodes.used_at(codes, serial, code, now) is None:
            return code
        wr.write(
            "mfaenv: that code was already used; wait for the next one\n"
            if code
            else "mfaenv: the code is the 6 digits your MFA device shows\n"
        )
        wr.flush()
    raise MfaenvError(f"no valid MFA code after {CODE_ATTEMPTS} tries")

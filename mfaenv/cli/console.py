"""`mfaenv console`: the AWS console in the browser, signed in with the profile's role session (docs/console.md).

The session comes the way login gets it (cached, renewed from the MFA
session, a code only where login would ask one); mfaenv.aws.federation trades
it for a sign-in URL. That URL signs anyone in for about 15 minutes, so it goes
to the browser or, with --print, to stdout: never to stderr or a message.
Everything that can be refused without the network is refused first.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import click

from mfaenv.cli.options import complete_profiles, login_options
from mfaenv.errors import MfaenvError

#: Terminal browsers webbrowser falls back to: they cannot run the console, and would draw into /dev/null here.
TERMINAL_BROWSERS = frozenset({"www-browser", "links", "links2", "elinks", "lynx", "w3m", "browsh"})
#: Where the page's region comes from after --region and the profile's own `region`.
ENV_REGIONS = ("AWS_REGION", "AWS_DEFAULT_REGION")
PRINT_HINT = "run `mfaenv console --print` and open the URL it prints yourself (it works once, for about 15 minutes)"


@click.command("console")
@click.argument("profile_arg", metavar="[PROFILE]", required=False, shell_complete=complete_profiles)
@login_options
@click.option("--service", metavar="NAME", help="Open this service's page (its console path: s3, ec2, iam, ...).")
@click.option("--destination", metavar="URL", help="Open this console URL (https, on the partition's console host).")
@click.option("--region", metavar="NAME", help="Region of the page (default: the profile's region, else AWS_REGION).")
@click.option("--print", "print_url", is_flag=True, help="Print the sign-in URL on stdout instead of opening it.")
def command(profile_arg: str | None, **opts: Any) -> None:
    """Open the AWS console signed in as PROFILE's role session (default: this shell's, as login).

    \b
    The sign-in URL is a bearer credential for about 15 minutes: --print
    writes it on stdout only; otherwise it goes to the browser ($BROWSER).
    """
    given = opts.get("profile")
    if profile_arg is not None and given is not None and profile_arg != given:
        raise click.UsageError(f"PROFILE {profile_arg!r} and --profile {given!r} name different profiles; give one")
    if opts["service"] is not None and opts["destination"] is not None:
        raise click.UsageError("--service and --destination both name the page to open; give one")
    opts["profile"] = given or profile_arg
    console(**opts)


def console(
    service: str | None = None,
    destination: str | None = None,
    region: str | None = None,
    print_url: bool = False,
    **opts: Any,
) -> None:
    from mfaenv import inputs
    from mfaenv.aws import federation
    from mfaenv.cli import commands, output
    from mfaenv.store import roles
    from mfaenv.store.config import choose_profile, load_profile, read_profiles

    if print_url and sys.stdout is None:  # refused before a code is asked or a token made for nobody
        raise MfaenvError("stdout is closed, and --print writes the URL there; run it with stdout open")
    env = dict(os.environ)
    if service is not None:
        service = federation.check_service(service)
    if region is not None:
        region = inputs.check_region(region, "--region")
    profiles = read_profiles(env)
    target = roles.resolve(choose_profile(opts.get("profile"), env), profiles)
    if not target.roles:
        load_profile(target.source, env)  # an unknown profile, or one without keys, says so first
        raise MfaenvError(_needs_role(target, profiles))
    arn = target.roles[-1].arn
    part = federation.partition(arn)
    base = federation.signin_base(part, env)
    if destination is not None:
        destination = federation.check_destination(destination, part)
    if region is None:
        named = [(target.region, f"profile {target.target!r}"), *((env.get(v), v) for v in ENV_REGIONS)]
        region = next((inputs.check_region(r, where) for r, where in named if r), None)
    if region is not None and federation.region_partition(region) != part:
        raise MfaenvError(
            f"region {region} is not in partition {part} of role {arn}; pass --region with one of its regions"
        )
    browser = None if print_url else _browser()
    chained = _chained(target, opts.get("duration"), env)
    session = commands.session(env, **opts)
    duration = None if chained else _console_length(session, output.now())
    token = federation.get_signin_token(base, session, duration, env)
    url = federation.login_url(base, destination or federation.destination(part, region, service), token)
    if print_url:
        output.write(url + "\n")
        return
    assert browser is not None
    if not _open(browser, url):
        raise MfaenvError(f"the browser ({_name(browser)}) did not start; {PRINT_HINT}")
    output.flush_notes()  # only now: a failure is one line


def _needs_role(target: Any, profiles: Mapping[str, Mapping[str, str]]) -> str:
    """The refusal for a profile of long-term keys: its MFA session cannot sign in; name the roles that can."""
    from mfaenv.store import roles

    made_from = []
    for name, values in sorted(profiles.items()):
        if name == target.target or "role_arn" not in values:
            continue
        try:
            if roles.resolve(name, profiles).source == target.source:
                made_from.append(name)
        except MfaenvError:
            continue  # a broken role profile is not one to suggest
    why = (
        f"profile {target.target!r} gives an IAM user's MFA session (GetSessionToken), which the console sign-in "
        "refuses (and GetFederationToken carries no MFA); the console needs a role profile"
    )
    if made_from:
        return f"{why}: use one made from it: {', '.join(made_from)} (mfaenv console {made_from[0]})"
    return (
        f"{why}: add one to the config file, [profile NAME] with role_arn = arn:aws:iam::ACCOUNT:role/ROLE and "
        f"source_profile = {target.source} (see docs/console.md)"
    )


def _chained(target: Any, duration: str | None, env: Mapping[str, str]) -> bool:
    """Whether the role session is signed by another session (role chaining): steps.chain's own decision.

    The federation endpoint refuses SessionDuration for such a session, so none is sent then.
    """
    from mfaenv.flow import steps
    from mfaenv.store.config import load_profile

    top = steps.chain(target, load_profile(target.source, env), None, duration, env)
    return getattr(top, "below", None) is not None


def _console_length(session: Any, now: Any) -> int | None:
    """SessionDuration for a role assumed with the long-term keys: the session's time left, in the allowed range."""
    from mfaenv.aws import federation

    if session.expiration is None:
        return None
    left = int((session.expiration - now).total_seconds())
    return min(left, federation.MAX_CONSOLE) if left >= federation.MIN_CONSOLE else None


def _browser() -> Any:
    """The browser webbrowser would use ($BROWSER first); refused before any call or code if there is none."""
    import webbrowser

    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        raise MfaenvError(f"no browser found to open the console in (set BROWSER, or {PRINT_HINT})") from None
    except ValueError:  # shlex, on a BROWSER command line with %s and a quote left open
        given = os.environ.get("BROWSER", "")[:200]
        raise MfaenvError(f"BROWSER {given!r} is not a command line (a quote is not closed); fix it, or {PRINT_HINT}") from None
    if _name(browser) in TERMINAL_BROWSERS:
        raise MfaenvError(f"{_name(browser)} is a terminal browser, which cannot show the AWS console; {PRINT_HINT}")
    return browser


def _name(browser: Any) -> str:
    return str(getattr(browser, "basename", None) or getattr(browser, "name", None) or type(browser).__name__)


def _open(browser: Any, url: str) -> bool:
    """Open `url` with the browser's stdout and stderr on /dev/null: what it logs could name the URL."""
    with _quiet():
        try:
            return bool(browser.open(url, new=2))
        except OSError:
            return False


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """fds 1 and 2 on /dev/null while the browser starts: it (and what it leaves running) inherits them.

    Either may be closed (`>&-`): it is then left on /dev/null.
    """
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    saved = [_dup(1), _dup(2)]
    null = os.open(os.devnull, os.O_WRONLY)  # itself fd 1 or 2 if that one was closed
    try:
        os.dup2(null, 1)
        os.dup2(null, 2)
        yield
    finally:
        for fd, copy in zip((1, 2), saved):
            if copy is not None:
                os.dup2(copy, fd)
                os.close(copy)
        if null not in (1, 2):
            os.close(null)


def _dup(fd: int) -> int | None:
    try:
        return os.dup(fd)
    except OSError:  # closed
        return None

"""The console sign-in: a role session traded for a sign-in token, and the sign-in URL. Pure, plus one HTTP call.

The exchange (IAM user guide, "Enable custom identity broker access to the
console"; aws-vault cli/login.go; granted pkg/console):

    GET <signin>/federation?Action=getSigninToken&Session=<JSON of the keys>  ->  {"SigninToken": "..."}
    <signin>/federation?Action=login&Issuer=mfaenv&Destination=<console URL>&SigninToken=<token>

The Session parameter holds the secret key and the session token, and the URL
signs anyone in who has it for about 15 minutes: neither is ever part of a
message here. urllib, not botocore: the call is a plain GET, and a console
run with a cached session then loads no botocore at all.
"""

from __future__ import annotations

import ipaddress
import json
import re
import urllib.parse

from mfaenv.aws import limits
from mfaenv.errors import Exit, MfaenvError, oneline

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from mfaenv.plan import Session


#: Sign-in and console hosts per partition (aws-vault, granted). Others (aws-iso, ...) have no public console.
SIGNIN = {
    "aws": "https://signin.aws.amazon.com",
    "aws-cn": "https://signin.amazonaws.cn",
    "aws-us-gov": "https://signin.amazonaws-us-gov.com",
}
CONSOLE = {
    "aws": "console.aws.amazon.com",
    "aws-cn": "console.amazonaws.cn",
    "aws-us-gov": "console.amazonaws-us-gov.com",
}
#: The SDKs' service-specific endpoint variable for the sign-in service; the tests point it at loopback.
OVERRIDE = "AWS_ENDPOINT_URL_SIGNIN"
ISSUER = "mfaenv"
#: A sign-in token answer is a few KB; nothing bigger is read.
MAX_ANSWER = 64 * 1024
#: SigninToken: printable ASCII without spaces, bounded (real ones are about a thousand characters).
_TOKEN = re.compile(r"[!-~]{1,16384}\Z")
#: --service: passed through as the console's path, so any service the console has works.
_SERVICE = re.compile(r"[a-z0-9-]{1,40}\Z")
_LABEL = re.compile(r"[a-z0-9-]{1,63}\Z")
#: SessionDuration's range (seconds) at the federation endpoint.
MIN_CONSOLE, MAX_CONSOLE = 900, 43_200


def partition(role_arn: str) -> str:
    """The partition of a role ARN (arn:PARTITION:iam::...), if it has a console sign-in; else refused."""
    name = role_arn.split(":")[1]
    if name not in SIGNIN:
        raise MfaenvError(f"role {role_arn} is in partition {name}, which has no console sign-in mfaenv knows")
    return name


def region_partition(region: str) -> str:
    return "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"


def signin_base(part: str, env: Mapping[str, str]) -> str:
    """The sign-in service's base URL: the partition's, or AWS_ENDPOINT_URL_SIGNIN (https, or http to loopback)."""
    given = env.get(OVERRIDE, "")
    if not given:
        return SIGNIN[part]
    refusal = (
        f"{OVERRIDE} {oneline(given[:200])!r} is not an https URL (http only to 127.0.0.1, ::1 or localhost); "
        "the session is sent there: fix or unset it"
    )
    if not given.isascii() or not given.isprintable() or " " in given:
        raise MfaenvError(refusal)
    try:
        url = urllib.parse.urlsplit(given)
        host, port = url.hostname, url.port  # port raises ValueError when it is not a number
    except ValueError:
        raise MfaenvError(refusal) from None
    if not host or url.username is not None or url.password is not None or url.query or url.fragment:
        raise MfaenvError(refusal)
    if url.scheme != "https" and not (url.scheme == "http" and _loopback(host)):
        raise MfaenvError(refusal)
    netloc = f"[{host}]" if ":" in host else host
    return f"{url.scheme}://{netloc}{f':{port}' if port else ''}{url.path.rstrip('/')}"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_service(name: str) -> str:
    if not _SERVICE.match(name):
        raise MfaenvError(
            f"--service {oneline(name[:60])!r} is not a console path name: use lowercase letters, digits and -, "
            "e.g. s3, ec2, iam, lambda, cloudwatch, dynamodbv2 (the part after the host in the console's URL)"
        )
    return name


def destination(part: str, region: str | None, service: str | None) -> str:
    """The console page to land on: the service's (or the console home) in `region`; global without a region."""
    host = f"{region}.{CONSOLE[part]}" if region else CONSOLE[part]
    page = f"https://{host}/{service or 'console'}/home"
    return f"{page}?region={region}" if region else page


def check_destination(given: str, part: str) -> str:
    """--destination: an https URL on the partition's console host (or a region's), else refused."""
    host = CONSOLE[part]
    refusal = f"--destination must be an https URL on {host} or REGION.{host}; not {oneline(given[:200])!r}"
    if not given.isascii() or not given.isprintable() or " " in given or len(given) > 4096:
        raise MfaenvError(refusal)
    try:
        url = urllib.parse.urlsplit(given)
        name, port = url.hostname or "", url.port
    except ValueError:
        raise MfaenvError(refusal) from None
    label, dot, rest = name.partition(".")
    on_console = name == host or bool(dot and rest == host and _LABEL.match(label))
    if url.scheme != "https" or not on_console or port not in (None, 443) or url.username is not None:
        raise MfaenvError(refusal)
    return given


def session_json(session: Session) -> str:
    """The Session parameter, as the user guide names its keys."""
    doc = {"sessionId": session.access_key_id, "sessionKey": session.secret_access_key}
    doc["sessionToken"] = session.session_token or ""
    return json.dumps(doc)


def token_request_url(base: str, session: Session, duration: int | None) -> str:
    """The getSigninToken URL; `duration`: SessionDuration, None to send none (a chained role session)."""
    query = [("Action", "getSigninToken")]
    if duration is not None:
        query.append(("SessionDuration", str(duration)))
    query.append(("Session", session_json(session)))
    return f"{base}/federation?{urllib.parse.urlencode(query, quote_via=urllib.parse.quote)}"


def login_url(base: str, dest: str, token: str) -> str:
    query = [("Action", "login"), ("Issuer", ISSUER), ("Destination", dest), ("SigninToken", token)]
    return f"{base}/federation?{urllib.parse.urlencode(query, quote_via=urllib.parse.quote)}"


def parse_answer(body: bytes, where: str, kind: str) -> str:
    """The SigninToken from the endpoint's answer; anything else (an HTML page, an error) is one line, exit 5."""
    not_token = f"{where} answered with something that is not a sign-in token ({oneline(kind[:60]) or 'no type'})"
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: `[[[[...` nested too deep
        raise MfaenvError(not_token, Exit.AWS) from None
    token = doc.get("SigninToken") if isinstance(doc, dict) else None
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise MfaenvError(not_token, Exit.AWS)
    return token


def get_signin_token(base: str, session: Session, duration: int | None, env: Mapping[str, str]) -> str:
    """Trade the session for a sign-in token: one GET, no redirect followed, a bounded answer within a deadline."""
    import urllib.request

    from mfaenv import __version__

    where = f"{base}/federation"
    connect = limits.setting("MFAENV_CONNECT_TIMEOUT", limits.CONNECT_TIMEOUT, env)
    read = limits.setting("MFAENV_READ_TIMEOUT", limits.READ_TIMEOUT, env)
    headers = {"User-Agent": f"mfaenv/{__version__}", "Accept": "application/json"}
    request = urllib.request.Request(token_request_url(base, session, duration), headers=headers)
    late = f"{where} did not answer within {connect + read} s{_RETRY}"
    # Each socket operation's timeout: no longer than a day, which the OS can hold (the deadline bounds it anyway).
    per_operation = min(max(connect, read), 86_400)
    # urllib's timeout bounds each socket operation, not the exchange: an endpoint that drips
    # header lines, or sends `100 Continue` forever, never trips it.
    try:
        body, kind = limits.within(connect + read, lambda: _fetch(request, where, per_operation))
    except limits.DeadlinePassed:
        raise MfaenvError(late, Exit.NETWORK) from None
    if len(body) > MAX_ANSWER:
        raise MfaenvError(f"{where} answered with over {MAX_ANSWER // 1024} KiB, not a sign-in token", Exit.AWS)
    return parse_answer(body, where, kind)


_RETRY = "; check the network (or HTTPS_PROXY) and try again"


def _fetch(request: Any, where: str, timeout: int) -> tuple[bytes, str]:
    """The answer's body (at most MAX_ANSWER + 1 bytes) and Content-Type; every failure one line."""
    import http.client
    import urllib.error
    import urllib.request

    handlers = [_no_redirect()]
    if request.type == "http":  # loopback only (signin_base): an HTTP_PROXY would carry the session off in clear
        handlers.append(urllib.request.ProxyHandler({}))
    try:
        with urllib.request.build_opener(*handlers).open(request, timeout=timeout) as answer:
            kind = answer.headers.get("Content-Type", "")
            body = b""
            while len(body) <= MAX_ANSWER:
                chunk = answer.read1(MAX_ANSWER + 1 - len(body))
                if not chunk:
                    break
                body += chunk
            return body, kind
    except urllib.error.HTTPError as e:
        e.close()
        why = "a redirect, not followed: the session is in its query" if 300 <= e.code < 400 else "not a sign-in token"
        raise MfaenvError(
            f"{where} answered HTTP {e.code} ({why}); an expired or revoked session is refused: try again with --fresh",
            Exit.AWS,
        ) from None
    except urllib.error.URLError as e:
        reason = getattr(e.reason, "strerror", None) or str(e.reason)
        raise MfaenvError(f"cannot reach {where}: {oneline(reason)}{_RETRY}", Exit.NETWORK) from None
    except http.client.HTTPException as e:
        if isinstance(e, ConnectionError):  # RemoteDisconnected: the connection went away
            raise MfaenvError(f"{where} closed the connection{_RETRY}", Exit.NETWORK) from None
        raise MfaenvError(f"{where} answered with something that is not HTTP", Exit.AWS) from None
    except OSError as e:  # a timeout or reset while reading
        raise MfaenvError(f"cannot reach {where}: {oneline(e.strerror or str(e))}{_RETRY}", Exit.NETWORK) from None


def _no_redirect() -> type:
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        """A redirect is an error (urllib then raises HTTPError): following it would send the session on."""

        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    return NoRedirect

"""How botocore talks to STS and IAM here: within a deadline, in bounded memory. I/O edge.

Imported by mfaenv.aws.sts only when a call is made (it imports botocore).

botocore's timeouts bound each socket operation, so an endpoint that sends one
byte a second never times out, and it reads any body whole into memory (a 1 GB
chunked answer took 4 GB). Three changes, all through botocore's own hooks:
- the call runs in a worker thread that the caller waits for at most the
  deadline, which covers name lookup, connect, headers, body, retries and backoff;
- a `before-send` handler sends through the client's own HTTP session (its
  proxies, TLS settings and pool), asks it for the body unread, and reads at
  most MAX_ANSWER bytes of it;
- the response parser keeps timestamps as text (mfaenv.aws.shapes parses them, so
  a bad one is a bad answer, not a crash) and turns any failure to parse a
  hostile document into ResponseParserError (botocore raises a bare KeyError
  for well-formed XML of the wrong shape, like a captive portal's HTML).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from botocore import exceptions as bx
from botocore.awsrequest import AWSResponse
from botocore.parsers import ResponseParserError, ResponseParserFactory
from urllib3 import exceptions as ux

from mfaenv.inputs import number

T = TypeVar("T")

#: The largest answer read. STS answers are 1-3 KB, an STS or IAM error a few
#: hundred bytes, a ListMFADevices page of 100 devices about 30 KB: 1 MiB is
#: far above any of them and still nothing to hold in memory.
MAX_ANSWER = 1 << 20
_READ_SIZE = 64 * 1024


class AnswerTooLarge(Exception):
    """The endpoint sent more than MAX_ANSWER bytes."""


def session(profile: str | None) -> Any:
    """A botocore session for `profile` whose clients parse answers as described above."""
    import botocore.session

    s = botocore.session.Session(profile=profile)
    parsers = _StrictParsers()
    parsers.set_parser_defaults(timestamp_parser=str)
    s.register_component("response_parser_factory", parsers)
    return s


def bound(client: Any) -> Any:
    """Make `client` read each answer through the size cap; returns the client."""
    # The client's HTTP session is not public API; botocore has kept it at
    # _endpoint.http_session since 2015, and the tests fail loudly if it moves.
    http = client._endpoint.http_session
    client.meta.events.register("before-send", _capped_sender(http))
    return client


def _capped_sender(http: Any) -> Callable[..., AWSResponse]:
    def send(request: Any, **_: Any) -> AWSResponse:
        request.stream_output = True  # botocore's session leaves the body to us
        response = http.send(request)
        raw = response.raw
        try:
            body = _read(raw)
        except ux.ReadTimeoutError as e:  # mapped as botocore's own send maps them, so retries still apply
            raise bx.ReadTimeoutError(endpoint_url=request.url, error=e) from None
        except ux.ProtocolError as e:
            raise bx.ConnectionClosedError(error=e, request=request, endpoint_url=request.url) from None
        except ux.HTTPError as e:
            raise bx.HTTPClientError(error=e) from None
        finally:
            raw.release_conn()
        return AWSResponse(request.url, response.status_code, response.headers, _Read(body))

    return send


def _read(raw: Any) -> bytes:
    declared = raw.headers.get("Content-Length")
    if declared is not None:
        length = number(declared.strip(), 19)  # ASCII digits only: int() takes '١٢' and str.isdigit() '²'
        if length is None:
            raise ResponseParserError("bad Content-Length")
        if length > MAX_ANSWER:
            raise AnswerTooLarge
    parts, size = [], 0
    try:
        for part in raw.stream(_READ_SIZE, decode_content=False):
            size += len(part)
            if size > MAX_ANSWER:
                raw.close()  # drop the connection rather than drain it
                raise AnswerTooLarge
            parts.append(part)
    except ValueError:  # http.client's read of a negative chunk size, and framing like it
        raise ResponseParserError("bad HTTP framing") from None
    return b"".join(parts)


class _Read:
    """The body already read, in the form AWSResponse.content reads it."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, *_: Any, **__: Any) -> Iterator[bytes]:
        yield self._data


class _StrictParsers(ResponseParserFactory):  # type: ignore[misc]
    def create_parser(self, protocol_name: str) -> Any:
        return _StrictParser(super().create_parser(protocol_name))


class _StrictParser:
    def __init__(self, parser: Any) -> None:
        self._parser = parser

    def parse(self, response: dict[str, Any], shape: Any) -> Any:
        try:
            return self._parser.parse(response, shape)
        except ResponseParserError:
            raise
        except (LookupError, TypeError, ValueError, AttributeError) as e:
            # Never the text: it may hold the body. The type says enough for --debug.
            raise ResponseParserError(f"unexpected document ({type(e).__name__})") from None

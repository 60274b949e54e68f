"""The workshop's next lesson: how a client survives a bad server (aiohttp).

For each of the server's faults (/fault/...) and for a 503 with Retry-After, one plain request
shows what the client sees (the exception aiohttp raises, or the status), then the same request
through fetch_with_retries(): a timeout on every attempt, at most --attempts attempts,
exponential backoff with full jitter between them, and the server's Retry-After honoured (up to
a cap). Only what may pass is retried: a broken connection, a timeout, 429/502/503/504; bytes
that are not HTTP will not get better, so they fail at once. A retry only helps a transient
fault: a server that resets every connection still fails, after the bound.
Environment: LOADLAB_URL (http://127.0.0.1:8080).

Output, for each request: the path and the fault, "one try: " and what one request saw,
"with retries: " and how the retries ended ("ok after N attempts" or "gave up after N
attempts"), with the last outcome and the time it took. The exit code is 0 when every request
got the answer the lesson expects of it: an error where the server commits a fault, a status
otherwise.
"""
import argparse
import asyncio
import email.utils
import os
import random
import time

import aiohttp

URL = os.environ.get("LOADLAB_URL", "http://127.0.0.1:8080").rstrip("/")

# The server's faults (docs/server.md) and the statuses a retry should wait out.
REQUESTS = [
    ("/fault/reset", "the server aborts the connection (TCP RST)"),
    ("/fault/close", "the server closes the connection (FIN) without a word"),
    ("/fault/truncate?bytes=1000", "Content-Length: 1000, then 500 bytes and a close"),
    ("/fault/hang", "no answer, ever"),
    ("/fault/garbage", "bytes that are not HTTP, then a close"),
    ("/fault/slow-headers?duration=300", "the headers trickle in over 0.3 s, then a body"),
    ("/status/503?retry_after=1", "503 Service Unavailable with Retry-After: 1, every time"),
    ("/status/503:1,200:1?retry_after=1", "503 or 200, at random: a transient failure"),
]

# Worth another attempt: the connection broke (reset, closed, cut short) or nothing came in
# time. A ClientResponseError raised while parsing (not HTTP) is not among them.
RETRYABLE_ERRORS = (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError,
                    asyncio.TimeoutError)
# Statuses that say "later" (RFC 9110 §15.6.4 and §10.2.3: 503 may carry Retry-After).
RETRYABLE_STATUSES = {429, 502, 503, 504}
BACKOFF_BASE_S = 0.1
BACKOFF_CAP_S = 2.0
RETRY_AFTER_CAP_S = 5.0  # a server asking for longer than this: give up rather than wait


class Outcome:
    """What one attempt ended with: a status, or the exception raised."""

    def __init__(self, status=None, error=None, retry_after=None):
        self.status = status
        self.error = error
        self.retry_after = retry_after

    def retryable(self):
        if self.error is not None:
            return isinstance(self.error, RETRYABLE_ERRORS)
        return self.status in RETRYABLE_STATUSES

    def name(self):
        """The exception's class, or "HTTP <status>": what the test reads."""
        if self.error is not None:
            return type(self.error).__name__
        return "HTTP {}".format(self.status)

    def __str__(self):
        if self.error is not None:
            detail = str(self.error)
            return self.name() + (": " + detail if detail else "")
        if self.retry_after is not None:
            return "{} (Retry-After: {:g} s)".format(self.name(), self.retry_after)
        return self.name()


def parse_retry_after(value):
    """Retry-After is delta-seconds or an HTTP-date (RFC 9110 §10.2.3); None if neither."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


async def attempt(session, url, timeout_s):
    """One request, its body read in full (a truncated body fails only there)."""
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=timeout_s)) as response:
            await response.read()
            return Outcome(status=response.status,
                           retry_after=parse_retry_after(response.headers.get("Retry-After")))
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        return Outcome(error=error)


def backoff_s(attempt_number):
    """Full jitter (random in [0, base * 2^n]): clients that failed together do not retry
    together."""
    return random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** attempt_number))


async def fetch_with_retries(session, url, timeout_s, attempts):
    """Up to `attempts` attempts of at most timeout_s each; returns (outcome, attempts made)."""
    for number in range(1, attempts + 1):
        outcome = await attempt(session, url, timeout_s)
        if not outcome.retryable() or number == attempts:
            return outcome, number
        wait = backoff_s(number)
        if outcome.retry_after is not None:
            if outcome.retry_after > RETRY_AFTER_CAP_S:
                return outcome, number
            wait = max(wait, outcome.retry_after)  # never earlier than the server asked
        await asyncio.sleep(wait)
    raise AssertionError("unreachable")


def as_expected(path, outcome):
    """A fault must show as an error; a status endpoint, and slow headers, as a status."""
    if path.startswith("/fault/") and not path.startswith("/fault/slow-headers"):
        return outcome.error is not None
    return outcome.status is not None


async def lesson(timeout_s, attempts):
    # One connection at a time is enough here; a fault ends its own connection only.
    async with aiohttp.ClientSession() as session:
        failures = 0
        for path, what in REQUESTS:
            url = URL + path
            print("{}: {}".format(path, what), flush=True)
            outcome = await attempt(session, url, timeout_s)
            print("  one try:      {}".format(outcome), flush=True)
            start = time.monotonic()
            final, made = await fetch_with_retries(session, url, timeout_s, attempts)
            elapsed = time.monotonic() - start
            verdict = "ok" if final.error is None and final.status < 400 else "gave up"
            print("  with retries: {} after {} attempt{} ({}), {:.1f} s".format(
                verdict, made, "" if made == 1 else "s", final.name(), elapsed), flush=True)
            if not as_expected(path, outcome) or not as_expected(path, final):
                failures += 1
        return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=2.0,
                        help="seconds for each attempt, the whole response (2)")
    parser.add_argument("--attempts", type=int, default=3, help="attempts per request (3)")
    args = parser.parse_args()
    if args.attempts < 1 or args.timeout <= 0:
        parser.error("--attempts must be at least 1 and --timeout positive")
    print("client faults against {}: timeout {:g} s per attempt, {} attempts".format(
        URL, args.timeout, args.attempts))
    failures = asyncio.run(lesson(args.timeout, args.attempts))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())

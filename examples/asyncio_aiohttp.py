"""The talk's asyncio demo ("Concurrency: AsyncIO", aiohttp throttled by asyncio.Semaphore(100)),
in Python 3 with async/await.

Fires COUNT requests at /{randint(1, 1000)}/ (the server answers /N after N ms) with at most
--concurrency in flight, held by the semaphore; --concurrency 0 drops the semaphore and sends
them all at once, to show latency growing with unbounded concurrency.
Environment: LOADLAB_URL (http://127.0.0.1:8080), LOADLAB_MAX_MS (1000, the largest N).

Fixed from the slides: "{}/{ {}" was a format-string typo; @asyncio.coroutine and
"with (yield from semaphore)" were removed in Python 3.11 (async def, async with); main() used
yield from without being a coroutine; aiohttp.request() per call without a session, and
r.wait_for_close() does not exist (one ClientSession, responses released by async with);
printing every body hid the timing (successes and failures are counted instead). aiohttp's own
connection limit (100 by default) is lifted so that the semaphore is what throttles, as the
slide says.
"""
import argparse
import asyncio
import os
import random
import time

import aiohttp

URL = os.environ.get("LOADLAB_URL", "http://127.0.0.1:8080").rstrip("/")
MAX_MS = int(os.environ.get("LOADLAB_MAX_MS", "1000"))


def build_urls(url, delays):
    return ["{}/{}/".format(url, d) for d in delays]


def ideal_seconds(delays, concurrency):
    """No client can beat the longest delay, nor all the delays spread over the concurrency."""
    spread = sum(delays) / concurrency if concurrency > 0 else 0
    return max(max(delays, default=0), spread) / 1000


def chunked_http_client(session, concurrency):
    """An http_get() that lets at most `concurrency` requests run at once (0: no limit)."""
    semaphore = asyncio.Semaphore(concurrency) if concurrency > 0 else None

    async def fetch(url):
        try:
            async with session.get(url) as response:
                await response.read()
                return response.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False

    async def http_get(url):
        if semaphore is None:
            return await fetch(url)
        async with semaphore:
            return await fetch(url)

    return http_get


async def run(urls, concurrency):
    connector = aiohttp.TCPConnector(limit=0)  # the semaphore throttles, not the pool
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        http_get = chunked_http_client(session, concurrency)
        results = []
        for future in asyncio.as_completed([http_get(u) for u in urls]):
            results.append(await future)
        return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=500, help="requests (500)")
    parser.add_argument("-c", "--concurrency", type=int, default=100,
                        help="semaphore size, 0 = unbounded (100)")
    args = parser.parse_args()

    delays = [random.randint(1, MAX_MS) for _ in range(args.count)]
    urls = build_urls(URL, delays)
    start = time.time()
    results = asyncio.run(run(urls, args.concurrency))
    elapsed = time.time() - start

    ok = sum(results)
    failed = len(results) - ok
    print("asyncio+aiohttp: {} requests to {}, semaphore {}".format(
        len(urls), URL, args.concurrency or "none"))
    print("Elapsed: {:.2f}s (ideal {:.2f}s)  ok: {}  failed: {}".format(
        elapsed, ideal_seconds(delays, args.concurrency), ok, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

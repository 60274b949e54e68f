"""The talk's Tornado demo ("Concurrency: Tornado", AsyncHTTPClient with max_clients=100), in
Python 3 and Tornado 6.

Fetches COUNT URLs /{randint(1, 1000)}/ (the server answers /N after N ms); the client itself
keeps at most --concurrency requests in flight (max_clients) and queues the rest.
Environment: LOADLAB_URL (http://127.0.0.1:8080), LOADLAB_MAX_MS (1000, the largest N).

Fixed from the slides: "curlAsyncHTTPClient" does not exist (CurlAsyncHTTPClient, which also
needs pycurl; the built-in simple client is used); "{}/{}/{}" had three fields for two values;
main() ignored its base_url argument; 100 requests where the text says 500; @gen.coroutine with
raise gen.Return and IOLoop.instance() are gone from modern Tornado (async def, return,
asyncio.run); fetch() raised on the first error (raise_error=False, failures are counted); the
queue wait counts against Tornado's timeouts, so they are raised above the run's length.
"""
import argparse
import asyncio
import os
import random
import time

from tornado.httpclient import AsyncHTTPClient

URL = os.environ.get("LOADLAB_URL", "http://127.0.0.1:8080").rstrip("/")
MAX_MS = int(os.environ.get("LOADLAB_MAX_MS", "1000"))


def build_urls(url, delays):
    return ["{}/{}/".format(url, d) for d in delays]


def ideal_seconds(delays, concurrency):
    """No client can beat the longest delay, nor all the delays spread over the concurrency."""
    return max(max(delays, default=0), sum(delays) / concurrency) / 1000


async def fetch_all(urls, concurrency):
    AsyncHTTPClient.configure(None, max_clients=concurrency)
    http_client = AsyncHTTPClient()
    # Requests waiting in max_clients' queue time out after min(connect, request) timeout.
    responses = await asyncio.gather(*(
        http_client.fetch(u, raise_error=False, connect_timeout=600, request_timeout=600)
        for u in urls))
    http_client.close()
    return responses


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=500, help="requests (500)")
    parser.add_argument("-c", "--concurrency", type=int, default=100,
                        help="max_clients: requests in flight (100)")
    args = parser.parse_args()
    if args.concurrency < 1:
        parser.error("--concurrency must be at least 1 (max_clients)")

    delays = [random.randint(1, MAX_MS) for _ in range(args.count)]
    urls = build_urls(URL, delays)
    start = time.time()
    responses = asyncio.run(fetch_all(urls, args.concurrency))
    elapsed = time.time() - start

    ok = sum(1 for r in responses if r.code == 200)
    failed = len(responses) - ok
    print("tornado: {} requests to {}, max_clients {}".format(len(urls), URL, args.concurrency))
    print("Elapsed: {:.2f}s (ideal {:.2f}s)  ok: {}  failed: {}".format(
        elapsed, ideal_seconds(delays, args.concurrency), ok, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The talk's gevent demo ("Concurrency: gevent", the pool.Pool(100) slide), in Python 3.

Fires COUNT requests at /{randint(1, 1000)}/ (the server answers /N after N ms) with at most
CONCURRENCY in flight through a gevent.pool.Pool; --concurrency 0 spawns every greenlet at once,
the slide before it, to show latency growing with unbounded concurrency.
Environment: LOADLAB_URL (http://127.0.0.1:8080), LOADLAB_MAX_MS (1000, the largest N).

Fixed from the slides: urllib2 is Python 2 (urllib.request here); monkey.patch_all() must run
before anything imports socket or ssl, not after the imports; the server address comes from
LOADLAB_URL instead of a hard-coded IP; failures are counted and set the exit code instead of
killing a greenlet silently; each response is read and closed.
"""
from gevent import monkey

monkey.patch_all()  # first: everything imported after this gets cooperative sockets

import argparse  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402

import gevent  # noqa: E402
from gevent import pool  # noqa: E402

URL = os.environ.get("LOADLAB_URL", "http://127.0.0.1:8080").rstrip("/")
MAX_MS = int(os.environ.get("LOADLAB_MAX_MS", "1000"))


def download(url):
    """True when the server answered 200 (urlopen raises on 4xx/5xx and connection errors)."""
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            response.read()
            return response.status == 200
    except OSError:  # URLError, HTTPError, timeouts and resets are all OSErrors
        return False


def build_urls(url, delays):
    return ["{}/{}/".format(url, d) for d in delays]


def ideal_seconds(delays, concurrency):
    """No client can beat the longest delay, nor all the delays spread over the concurrency."""
    spread = sum(delays) / concurrency if concurrency > 0 else 0
    return max(max(delays, default=0), spread) / 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=500, help="requests (500)")
    parser.add_argument("-c", "--concurrency", type=int, default=100,
                        help="pool size, 0 = unbounded (100)")
    args = parser.parse_args()

    delays = [random.randint(1, MAX_MS) for _ in range(args.count)]
    urls = build_urls(URL, delays)
    start = time.time()
    if args.concurrency > 0:
        p = pool.Pool(args.concurrency)
        greenlets = [p.spawn(download, u) for u in urls]
    else:
        greenlets = [gevent.spawn(download, u) for u in urls]
    gevent.joinall(greenlets)
    elapsed = time.time() - start

    ok = sum(1 for g in greenlets if g.value)
    failed = len(greenlets) - ok
    print("gevent: {} requests to {}, concurrency {}".format(
        len(urls), URL, args.concurrency or "unbounded"))
    print("Elapsed: {:.2f}s (ideal {:.2f}s)  ok: {}  failed: {}".format(
        elapsed, ideal_seconds(delays, args.concurrency), ok, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

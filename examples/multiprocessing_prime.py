"""The talk's multiprocessing demo ("Multiprocessing": the serial is_prime, then "let's live-code
a multi-process prime checker"), in Python 3, checked against the server's /prime/N.

Tests COUNT random numbers for primality three ways: serially in this process, on a
multiprocessing.Pool (one process per core: CPU-bound work needs processes, the GIL lets one
thread compute at a time), and by asking the server's GET /prime/N, which runs the same trial
division on its own pool of worker processes. The answers must agree.
Environment: LOADLAB_URL (http://127.0.0.1:8080), LOADLAB_PRIME_MAX (10**13, the largest number).

Fixed from the slides: is_prime(2) said False and is_prime(1) said True; math.sqrt loses
precision on large n (math.isqrt is exact); the live-coded part is written out.
"""
import argparse
import json
import math
import multiprocessing
import os
import random
import time
import urllib.request
from multiprocessing.pool import ThreadPool

URL = os.environ.get("LOADLAB_URL", "http://127.0.0.1:8080").rstrip("/")
PRIME_MAX = int(os.environ.get("LOADLAB_PRIME_MAX", str(10**13)))


def is_prime(n):
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    for i in range(3, math.isqrt(n) + 1, 2):
        if n % i == 0:
            return False
    return True


def ask_server(n):
    """The server's answer for n, or None if the request failed."""
    try:
        with urllib.request.urlopen("{}/prime/{}".format(URL, n), timeout=60) as response:
            return json.load(response)["prime"]
    except (OSError, ValueError, KeyError):
        return None


def timed(label, function, numbers):
    start = time.time()
    answers = list(function(numbers))
    print("{:<28} {:6.2f}s".format(label, time.time() - start))
    return answers


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=200, help="numbers (200)")
    parser.add_argument("-p", "--processes", type=int, default=os.cpu_count(),
                        help="local worker processes (CPU count)")
    args = parser.parse_args()

    numbers = [random.randint(PRIME_MAX // 10, PRIME_MAX) | 1 for _ in range(args.count)]
    print("primality of {} odd numbers up to {} ({} primes expected by chance)".format(
        len(numbers), PRIME_MAX, round(sum(2 / math.log(n) for n in numbers))))

    serial = timed("serial, one process", lambda ns: map(is_prime, ns), numbers)
    with multiprocessing.Pool(args.processes) as pool:
        parallel = timed("multiprocessing.Pool({})".format(args.processes),
              lambda ns: pool.map(is_prime, ns), numbers)
    # Waiting on sockets is I/O: threads are enough here, the server's workers do the computing.
    with ThreadPool(20) as threads:
        remote = timed("server /prime/N", lambda ns: threads.map(ask_server, ns), numbers)

    failed = sum(1 for r in remote if r is None)
    disagree = sum(1 for s, p, r in zip(serial, parallel, remote)
                   if p != s or (r is not None and r != s))
    ok = len(numbers) - failed - disagree
    print("primes: {}  ok: {}  failed: {}  disagree: {}".format(sum(serial), ok, failed, disagree))
    return 1 if failed or disagree else 0


if __name__ == "__main__":
    raise SystemExit(main())

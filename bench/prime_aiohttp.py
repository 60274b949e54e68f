#!/usr/bin/env python3
"""The talk's approach to CPU-bound work, as a server: aiohttp on asyncio, with the talk's
trial-division is_prime run in a ProcessPoolExecutor so the event loop stays free.
The peer bench/prime.sh measures loadlab's /prime/N against.

usage: prime_aiohttp.py PORT WORKERS      (GET /prime/N -> {"n": N, "prime": bool})
"""
import asyncio
import concurrent.futures
import math
import sys

from aiohttp import web


def is_prime(n):
    # The slide's function, corrected as loadlab's is: 0 and 1 are not prime, 2 is.
    if n < 2:
        return False
    if n < 4:
        return True
    if not n % 2:
        return False
    for i in range(3, int(math.isqrt(n)) + 1, 2):
        if not n % i:
            return False
    return True


async def prime(request):
    n = int(request.match_info["n"])
    result = await asyncio.get_running_loop().run_in_executor(request.app["pool"], is_prime, n)
    return web.json_response({"n": n, "prime": result})


def main():
    port, workers = int(sys.argv[1]), int(sys.argv[2])
    app = web.Application()
    app["pool"] = concurrent.futures.ProcessPoolExecutor(max_workers=workers)
    app.router.add_get("/prime/{n:[0-9]+}", prime)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()

# The talk's Python clients (examples/) with their libraries from Debian, for
# `docker compose --profile clients ...`. Laptops can run examples/ directly instead.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      python3 python3-gevent python3-tornado python3-aiohttp \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /examples --no-create-home \
            --shell /usr/sbin/nologin loadlab
COPY examples/ /examples/
WORKDIR /examples
USER loadlab
ENV LOADLAB_URL=http://server:8080 PYTHONUNBUFFERED=1
# Every demo in the talk's order; `docker compose run --rm clients python3 tornado_client.py`
# runs one.
CMD ["sh", "-c", "for demo in gevent_pool tornado_client asyncio_aiohttp multiprocessing_prime; do echo \"== $demo\"; python3 $demo.py || exit 1; done"]

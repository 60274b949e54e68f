#!/usr/bin/env python3
"""The workshop's pieces checked against the real binaries, without Docker or network.

  workshop_test.py example SERVER SCRIPT [ARGS...]
      start loadlab-server on 127.0.0.1 port 0, run examples/SCRIPT against it, expect exit 0,
      no failed request and the server still up.
  workshop_test.py client-faults SERVER SCRIPT
      start loadlab-server as above, run examples/client_faults.py against its /fault and
      /status endpoints, and check each request's lines: the exception class (or status) one
      try saw, and how the bounded retries ended (Retry-After honoured on the 503).
  workshop_test.py compose-loadgen SERVER LOADGEN COMPOSE_FILE
      run the loadgen service's command from the compose file, as two replicas would, against a
      local server (server:8080 -> 127.0.0.1:PORT, /reports -> a temporary directory), then
      merge their reports as the scale-out recipe of docs/workshop.md does.
  workshop_test.py runtime-libs DOCKERFILE PACKAGES_FILE BUILD_DIR VERSION BINARY...
      every shared library the binaries link comes from a package in PACKAGES_FILE (or one
      bookworm-slim already has), the list has nothing else, and the Dockerfile installs that
      list, copies these binaries from where the build puts them and labels the right version.
"""
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

# In debian:bookworm-slim already (apt itself needs them).
BASE_PACKAGES = {"libc6", "libstdc++6", "libgcc-s1"}


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


class Server:
    """loadlab-server on 127.0.0.1, port 0; the port comes from its "listening" line."""

    def __init__(self, binary, *args):
        self.process = subprocess.Popen(
            [binary, "--host", "127.0.0.1", "--port", "0", "--log-level", "warn", *args],
            stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        try:
            self.url = json.loads(line)["url"]
        except (ValueError, KeyError):
            self.process.kill()
            fail("no listening line from the server: {!r}".format(line))

    def stop(self):
        """SIGTERM; the server must have been up until now and must exit 0."""
        crashed = self.process.poll()
        if crashed is None:
            self.process.terminate()
        code = self.process.wait(timeout=30)
        if crashed is not None or code != 0:
            fail("the server exited with {} (crashed: {})".format(code, crashed is not None))


def run(argv, env=None, timeout=300):
    print("$ " + " ".join(shlex.quote(a) for a in argv), flush=True)
    result = subprocess.run(argv, env=env, timeout=timeout, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    print(result.stdout, flush=True)
    return result


def example(server_bin, script, *args):
    server = Server(server_bin)
    # Short delays and small numbers keep the test quick; the shape is the talk's.
    env = dict(os.environ, LOADLAB_URL=server.url, LOADLAB_MAX_MS="100",
               LOADLAB_PRIME_MAX=str(10**9))
    result = run([sys.executable, script, *args], env=env)
    server.stop()
    if result.returncode != 0:
        fail("{} exited with {}".format(os.path.basename(script), result.returncode))
    counts = re.search(r"ok: (\d+)\s+failed: (\d+)", result.stdout)
    if not counts or int(counts.group(2)) != 0 or int(counts.group(1)) == 0:
        fail("expected successes and no failure in the output")


# examples/client_faults.py's requests: what one try must see (an aiohttp exception class, or
# "HTTP <status>"), and how its retries (3 attempts) may end, as "<verdict> after N attempts
# (<last outcome>)". A retry cannot help a server that faults every time: it gives up after the
# bound, or at once for bytes that are not HTTP (no use retrying).
CLIENT_FAULTS = {
    "/fault/reset": ({"ClientOSError"}, {"gave up after 3 attempts (ClientOSError)"}),
    "/fault/close": ({"ServerDisconnectedError"},
                     {"gave up after 3 attempts (ServerDisconnectedError)"}),
    "/fault/truncate?bytes=1000": ({"ClientPayloadError"},
                                   {"gave up after 3 attempts (ClientPayloadError)"}),
    "/fault/hang": ({"TimeoutError"}, {"gave up after 3 attempts (TimeoutError)"}),
    "/fault/garbage": ({"ClientResponseError"}, {"gave up after 1 attempt (ClientResponseError)"}),
    # 0.3 s of headers within a 2 s timeout: a machine stalled that long times out, and the
    # retries still end with the answer.
    "/fault/slow-headers?duration=300": (
        {"HTTP 200", "TimeoutError"},
        {"ok after {} attempt{} (HTTP 200)".format(n, "" if n == 1 else "s") for n in (1, 2, 3)}),
    "/status/503?retry_after=1": ({"HTTP 503"}, {"gave up after 3 attempts (HTTP 503)"}),
    "/status/503:1,200:1?retry_after=1": (
        {"HTTP 503", "HTTP 200"},
        {"ok after 1 attempt (HTTP 200)", "ok after 2 attempts (HTTP 200)",
         "ok after 3 attempts (HTTP 200)", "gave up after 3 attempts (HTTP 503)"}),
}


def check_client_faults(output):
    """The example's output against CLIENT_FAULTS; a list of what is wrong."""
    blocks = re.findall(r"^(/\S+): .*\n  one try: +(.*)\n  with retries: +(.*), ([\d.]+) s$",
                        output, re.MULTILINE)
    seen = {path: (one, retries, float(seconds)) for path, one, retries, seconds in blocks}
    problems = []
    for path, (one_try, retries) in CLIENT_FAULTS.items():
        if path not in seen:
            problems.append("{}: no lines for it".format(path))
            continue
        one, got, seconds = seen[path]
        outcome = one.split(":")[0].split(" (")[0]  # "ClientOSError: ..." / "HTTP 503 (...)"
        if outcome not in one_try:
            problems.append("{}: one try saw {!r}, expected one of {}".format(
                path, one, sorted(one_try)))
        if got not in retries:
            problems.append("{}: retries ended {!r}, expected one of {}".format(
                path, got, sorted(retries)))
        # Two waits of Retry-After: 1 between three attempts: at least 2 s whatever the load.
        if path == "/status/503?retry_after=1" and seconds < 2.0:
            problems.append("{}: retried after {} s, sooner than Retry-After allows".format(
                path, seconds))
    return problems


def client_faults(server_bin, script):
    server = Server(server_bin)
    result = run([sys.executable, script], env=dict(os.environ, LOADLAB_URL=server.url))
    server.stop()  # every fault ended its own connection only: the server is still up
    problems = check_client_faults(result.stdout)
    if result.returncode != 0:
        problems.append("{} exited with {}".format(os.path.basename(script), result.returncode))
    if problems:
        fail("\n  ".join(problems))
    print("ok")


def compose_service(compose_file, name):
    """The service as docker-compose resolves it (variables, anchors, $$ escapes kept)."""
    import yaml  # python3-yaml, which docker-compose itself depends on
    text = subprocess.run(["docker-compose", "-f", compose_file, "config"], check=True,
                          text=True, stdout=subprocess.PIPE).stdout
    return yaml.safe_load(text)["services"][name]


def compose_loadgen(server_bin, loadgen_bin, compose_file):
    command = compose_service(compose_file, "loadgen")["command"]
    if command[:2] != ["sh", "-c"]:
        fail("expected the loadgen command as sh -c SCRIPT, got {}".format(command))
    server = Server(server_bin)
    with tempfile.TemporaryDirectory() as reports:
        script = (command[2].replace("$$", "$")
                  .replace("http://server:8080", server.url)
                  .replace("/reports/", reports + "/")
                  .replace("loadlab-loadgen", shlex.quote(loadgen_bin)))
        # Two replicas at once, as `docker compose up --scale loadgen=2` runs them.
        replicas = [subprocess.Popen(["sh", "-c", script], env=dict(os.environ, HOSTNAME=host),
                                     stdout=subprocess.DEVNULL)
                    for host in ("replica-a", "replica-b")]
        codes = [p.wait(timeout=300) for p in replicas]
        server.stop()
        if codes != [0, 0]:
            fail("the loadgen command exited with {}".format(codes))
        files = sorted(os.listdir(reports))
        print("reports:", files)
        expected = sorted("{}-replica-{}.{}".format(kind, r, ext)
                          for kind in ("run", "talk") for r in "ab" for ext in ("json", "html"))
        if files != expected:
            fail("expected {}".format(expected))
        merged = os.path.join(reports, "merged.json")
        runs = [os.path.join(reports, "run-replica-{}.json".format(r)) for r in "ab"]
        if run([loadgen_bin, "merge", *runs, "-o", merged]).returncode != 0:
            fail("merge failed")
        with open(merged) as f:
            report = json.load(f)
        if report["runs_merged"] != 2 or report["status_codes"].get("200") != 1000:
            fail("merged report: runs_merged {}, status_codes {}".format(
                report["runs_merged"], report["status_codes"]))
        with open(os.path.join(reports, "talk-replica-a.json")) as f:
            talk = json.load(f)
        if talk.get("schema") != "loadlab-talk/1" or not talk.get("runs"):
            fail("talk report without runs")
        for name in ("talk-replica-a.html", "run-replica-a.html"):
            with open(os.path.join(reports, name)) as f:
                page = f.read()
            if "<svg" not in page or "</html>" not in page:
                fail("{} is not an HTML report with plots".format(name))


def package_of(path):
    """The Debian package that owns a library; usrmerge means dpkg may know it by either path."""
    real = os.path.realpath(path)
    candidates = [path, real]
    for p in (path, real):
        candidates.append(p[4:] if p.startswith("/usr/") else "/usr" + p)
    for candidate in candidates:
        result = subprocess.run(["dpkg", "-S", candidate], text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if result.returncode == 0:
            return result.stdout.split(":")[0]
    fail("no Debian package owns {}".format(path))


def runtime_libs(dockerfile, packages_file, build_dir, version, *binaries):
    needed = {}
    for binary in binaries:
        out = subprocess.run(["ldd", binary], check=True, text=True, stdout=subprocess.PIPE).stdout
        if "not found" in out:
            fail("ldd {}: a library is missing:\n{}".format(binary, out))
        for path in re.findall(r"=> (/\S+)", out):
            needed.setdefault(package_of(path), set()).add(os.path.basename(path))
    with open(packages_file) as f:
        listed = {line.split("#")[0].strip() for line in f} - {""}
    print("needed (ldd + dpkg -S):", {p: sorted(libs) for p, libs in sorted(needed.items())})
    print("listed in {}: {}".format(os.path.basename(packages_file), sorted(listed)))
    missing = set(needed) - BASE_PACKAGES - listed
    extra = listed - set(needed)
    if missing:
        fail("the runtime image lacks {}".format(sorted(missing)))
    if extra:
        fail("the runtime image installs unneeded {}".format(sorted(extra)))

    with open(dockerfile) as f:
        text = f.read()
    if "COPY docker/runtime-packages.txt" not in text or "xargs apt-get install" not in text:
        fail("the Dockerfile does not install docker/runtime-packages.txt")
    for binary in binaries:
        source = "/src/build/release/" + os.path.relpath(binary, build_dir)
        if source not in text:
            fail("the Dockerfile does not copy {} (where build.sh release puts it)".format(source))
    if "ARG VERSION={}\n".format(version) not in text:
        fail("the Dockerfile's ARG VERSION is not the project version {}".format(version))
    print("ok")


def main():
    commands = {"example": example, "client-faults": client_faults,
                "compose-loadgen": compose_loadgen, "runtime-libs": runtime_libs}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    commands[sys.argv[1]](*sys.argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main())

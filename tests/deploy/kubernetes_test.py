#!/usr/bin/env python3
"""The distributed-run manifests, rendered and read back, without a cluster or Docker engine.

  kubernetes_test.py KUBECTL ROOT

Renders deploy/kubernetes/base and every deploy/kubernetes/overlays/* with `KUBECTL kustomize`
and checks what a run depends on: the loadgen is an Indexed Job whose completions, parallelism
and `--shard auto/N` agree (N is the overlay's, for overlays named shards-N), whose shards share
one absolute --start-at and write their JSON report to stdout; the server's probes are on
/readyz and /healthz at the port it listens on, and the Service and the loadgen's URL point
there; its grace period outlasts preStop + drain; every container is non-root, read-only,
bounded; every image is the one docker-compose.yml builds (an overlay may rename it, but
server and loadgen keep one image). Then deploy/compose/shards.yml: N services with the shards
0/N ... N-1/N, one start time, one report file each.
"""
import os
import re
import subprocess
import sys

import yaml

# What `sed s/@START_AT@/.../` in docs/distributed.md replaces before applying.
START_PLACEHOLDER = "@START_AT@"
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
# The server exits at most this long after its drain: it stops its /prime workers and SIGKILLs
# one that has not exited after 2 s (docs/server.md, "/prime and its worker pool").
WORKER_STOP_S = 2

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def render(kubectl, directory):
    result = subprocess.run([kubectl, "kustomize", directory], capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stderr)
        sys.exit("FAIL: {} kustomize {} exited with {}".format(kubectl, directory,
                                                               result.returncode))
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def one(documents, kind, name, where):
    found = [d for d in documents if d["kind"] == kind and d["metadata"]["name"] == name]
    if not check(len(found) == 1, "{}: expected one {} {}, found {}".format(where, kind, name,
                                                                           len(found))):
        sys.exit("FAIL: " + "\n".join(failures))
    return found[0]


def env_values(container):
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def expand(arg, env):
    """The kubelet's $(NAME) expansion in command and args ($$ is a literal $)."""
    def substitute(match):
        if match.group(0) == "$$":
            return "$"
        value = env.get(match.group(1))
        return value if value is not None else match.group(0)
    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)", substitute, arg)


def flag_value(args, flag):
    """The value of `--flag V` or `--flag=V`; None when absent."""
    for i, arg in enumerate(args):
        if arg == flag and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(flag + "="):
            return arg[len(flag) + 1:]
    return None


def quantity_cpu(value):
    value = str(value)
    return float(value[:-1]) / 1000 if value.endswith("m") else float(value)


def containers(pod_spec):
    return pod_spec.get("initContainers", []) + pod_spec["containers"]


def check_pod_hardening(pod_spec, where):
    pod_security = pod_spec.get("securityContext", {})
    for c in containers(pod_spec):
        name = "{} container {}".format(where, c["name"])
        security = dict(pod_security, **c.get("securityContext", {}))
        check(security.get("runAsNonRoot") is True, name + ": runAsNonRoot is not true")
        check(isinstance(security.get("runAsUser"), int) and security["runAsUser"] > 0,
              name + ": runAsUser must be a numeric non-root uid (the image's is 10001)")
        check(security.get("readOnlyRootFilesystem") is True,
              name + ": readOnlyRootFilesystem is not true")
        check(security.get("allowPrivilegeEscalation") is False,
              name + ": allowPrivilegeEscalation is not false")
        resources = c.get("resources", {})
        for kind in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                check(resource in resources.get(kind, {}),
                      "{}: no {} {}".format(name, resource, kind))


def check_server(documents, where):
    deployment = one(documents, "Deployment", "loadlab-server", where)
    service = one(documents, "Service", "loadlab-server", where)
    pod = deployment["spec"]["template"]["spec"]
    server = next((c for c in pod["containers"] if c["name"] == "server"), None)
    if not check(server is not None, where + ": the Deployment has no container named server"):
        return None
    env = env_values(server)
    port = int(env.get("LOADLAB_PORT") or 8080)
    named_ports = {p.get("name"): p["containerPort"] for p in server.get("ports", [])}
    check(port in named_ports.values(),
          "{}: the server listens on {} (LOADLAB_PORT) but declares ports {}".format(
              where, port, sorted(named_ports.values())))

    def resolve(p):
        return named_ports.get(p) if isinstance(p, str) else p

    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        http = server.get(probe, {}).get("httpGet", {})
        check(http.get("path") == path, "{}: {} is on {!r}, not {}".format(
            where, probe, http.get("path"), path))
        check(resolve(http.get("port")) == port, "{}: {} port {!r} is not the server's {}".format(
            where, probe, http.get("port"), port))
    service_ports = service["spec"]["ports"]
    check(any(resolve(p.get("targetPort", p["port"])) == port for p in service_ports),
          "{}: no Service port targets the server's port {}".format(where, port))
    selector = service["spec"]["selector"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    check(all(labels.get(k) == v for k, v in selector.items()),
          where + ": the Service's selector does not select the server's pods")

    # SIGTERM after preStop; the server then drains for LOADLAB_DRAIN_TIMEOUT_MS and stops its
    # workers. All of it must end before the kubelet's SIGKILL.
    if check("LOADLAB_DRAIN_TIMEOUT_MS" in env,
             where + ": LOADLAB_DRAIN_TIMEOUT_MS is not set (the grace period depends on it)"):
        drain_s = int(env["LOADLAB_DRAIN_TIMEOUT_MS"]) / 1000
        pre_stop = server.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command")
        pre_stop_s = int(pre_stop[1]) if pre_stop and pre_stop[0] == "sleep" else 0
        grace = pod.get("terminationGracePeriodSeconds", 30)
        check(grace > pre_stop_s + drain_s + WORKER_STOP_S,
              "{}: terminationGracePeriodSeconds {} does not outlast preStop {} s + drain {} s "
              "+ {} s to stop the workers".format(where, grace, pre_stop_s, drain_s,
                                                  WORKER_STOP_S))
    for variable in ("LOADLAB_THREADS", "LOADLAB_WORKERS"):
        # Unset, they default to the node's CPU count, not the container's limit.
        if check(variable in env, "{}: {} is not set".format(where, variable)):
            cpu_limit = quantity_cpu(server["resources"]["limits"]["cpu"])
            check(int(env[variable]) <= max(1, cpu_limit),
                  "{}: {} {} exceeds the CPU limit {}".format(where, variable, env[variable],
                                                             cpu_limit))
    check_pod_hardening(pod, where + " server")
    return {"port": port, "service": service["metadata"]["name"],
            "service_ports": {p["port"] for p in service_ports},
            "images": [c["image"] for c in containers(pod)]}


def check_loadgen(documents, where, expected_shards, server):
    job = one(documents, "Job", "loadlab-loadgen", where)
    spec = job["spec"]
    pod = spec["template"]["spec"]
    check(spec.get("completionMode") == "Indexed",
          "{}: completionMode is {!r}, not Indexed".format(where, spec.get("completionMode")))
    completions, parallelism = spec.get("completions"), spec.get("parallelism")
    check(completions == parallelism,
          "{}: completions {} != parallelism {} (every shard must run at once)".format(
              where, completions, parallelism))
    if expected_shards is not None:
        check(completions == expected_shards,
              "{}: completions {} but the overlay is for {} shards".format(
                  where, completions, expected_shards))
    check(pod.get("restartPolicy") == "Never",
          where + ": restartPolicy must be Never (a restarted shard starts late)")
    check(spec.get("backoffLimitPerIndex") == 0,
          where + ": backoffLimitPerIndex must be 0 (a retried shard starts late)")

    loadgen = next((c for c in pod["containers"] if c["name"] == "loadgen"), None)
    if not check(loadgen is not None, where + ": the Job has no container named loadgen"):
        return None
    env = env_values(loadgen)
    args = [expand(a, env) for a in loadgen.get("command", []) + loadgen.get("args", [])]
    shard = flag_value(args, "--shard")
    check(shard == "auto/{}".format(completions),
          "{}: --shard is {!r}, not auto/{} (the Job's completions)".format(
              where, shard, completions))
    start_at = flag_value(args, "--start-at")
    if check(start_at is not None, where + ": no --start-at"):
        # An absolute instant, shared by every pod. A relative +10s would count from each pod's
        # own start, and pods start seconds apart.
        check(start_at == START_PLACEHOLDER or RFC3339.match(start_at),
              "{}: --start-at {!r} is neither {} nor an absolute RFC 3339 time".format(
                  where, start_at, START_PLACEHOLDER))
        filled = start_at.replace(START_PLACEHOLDER, "2030-01-02T03:04:05Z")
        check(RFC3339.match(filled), "{}: --start-at {!r} is not RFC 3339 once filled in".format(
            where, filled))
    check(flag_value(args, "--json") == "-",
          where + ": the JSON report does not go to stdout (--json -) for kubectl logs")
    # The summary goes to stderr; the container runtime reads stdout and stderr apart, so only
    # one stream keeps the summary's lines out of the middle of the JSON in `kubectl logs`.
    script = loadgen.get("command", [])
    check(script[:2] == ["sh", "-c"] and "2>&1" in script[2] and '"$@"' in script[2],
          where + ": the loadgen's stderr is not sent to stdout (sh -c '... \"$@\" 2>&1')")
    check(flag_value(args, "--run-id") is not None, where + ": no --run-id")
    urls = [a for a in args if re.match(r"https?://", a)]
    expected_prefix = "http://{}:".format(server["service"])
    for url in urls:
        match = re.match(r"http://([^:/]+):(\d+)/", url)
        check(match and url.startswith(expected_prefix)
              and int(match.group(2)) in server["service_ports"],
              "{}: the loadgen's URL {} is not the Service {} on one of its ports {}".format(
                  where, url, server["service"], sorted(server["service_ports"])))
    check(urls, where + ": the loadgen has no URL")
    check_pod_hardening(pod, where + " loadgen")
    return [c["image"] for c in containers(pod)]


def compose_image(root):
    with open(os.path.join(root, "docker-compose.yml"), encoding="utf-8") as f:
        return yaml.safe_load(f)["services"]["server"]["image"]


def check_kustomization(kubectl, root, directory, compose):
    where = os.path.relpath(directory, root)
    documents = render(kubectl, directory)
    match = re.fullmatch(r"shards-(\d+)", os.path.basename(directory))
    expected = int(match.group(1)) if match else None
    server = check_server(documents, where)
    if server is None:
        return
    images = server["images"] + (check_loadgen(documents, where, expected, server) or [])
    check(len(set(images)) == 1,
          "{}: server and loadgen must run one image, found {}".format(where, sorted(set(images))))
    if os.path.basename(directory) == "base":
        check(set(images) == {compose}, "{}: images {} are not docker-compose.yml's {}".format(
            where, sorted(set(images)), compose))
    print("{}: {} documents, {} shards".format(where, len(documents),
                                               expected if expected else "(base)"))


def check_compose_shards(root, compose):
    path = os.path.join(root, "deploy", "compose", "shards.yml")
    with open(path, encoding="utf-8") as f:
        services = yaml.safe_load(f)["services"]
    shards = {name: s for name, s in services.items() if name.startswith("shard-")}
    n = len(shards)
    seen = set()
    commands = set()
    for name, service in sorted(shards.items()):
        where = "deploy/compose/shards.yml " + name
        shard = (service.get("environment") or {}).get("LOADGEN_SHARD")
        check(shard == "{}/{}".format(name[len("shard-"):], n),
              "{}: LOADGEN_SHARD is {!r}, not {}/{}".format(where, shard, name[len("shard-"):], n))
        seen.add(shard)
        command = service.get("command")
        commands.add(yaml.safe_dump(command))
        text = " ".join(command) if isinstance(command, list) else str(command)
        check('--shard "$$LOADGEN_SHARD"' in text, where + ": the command does not pass its shard")
        check('--start-at "$$START_AT"' in text, where + ": the command has no shared --start-at")
        check(service.get("image") == compose,
              "{}: image {!r} is not docker-compose.yml's {}".format(where, service.get("image"),
                                                                    compose))
    check(n >= 2 and len(seen) == n, "deploy/compose/shards.yml: {} shards, {} distinct".format(
        n, len(seen)))
    check(len(commands) == 1, "deploy/compose/shards.yml: the shards run different commands")
    print("deploy/compose/shards.yml: {} shards".format(n))


def main(kubectl, root):
    compose = compose_image(root)
    kubernetes = os.path.join(root, "deploy", "kubernetes")
    overlays = os.path.join(kubernetes, "overlays")
    directories = [os.path.join(kubernetes, "base")] + sorted(
        os.path.join(overlays, d) for d in os.listdir(overlays))
    for directory in directories:
        check_kustomization(kubectl, root, directory, compose)
    check_compose_shards(root, compose)
    if failures:
        print("\n".join("FAIL: " + f for f in failures))
        sys.exit(1)
    print("kubernetes manifests: ok")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])

#!/usr/bin/env bash
# Installs what loadlab needs from Debian bookworm's archive. Used by the README's two
# commands, by .ci/run and by docker/Dockerfile, so the three cannot drift apart.
#   install-deps.sh build   compilers and -dev libraries
#   install-deps.sh test    build + what the tests drive (python clients, chromium, ...)
#   install-deps.sh bench   test + the peers the benchmarks compare against
set -euo pipefail

profile=${1:-build}
build=(build-essential cmake pkg-config libuv1-dev node-llhttp nlohmann-json3-dev
       libspdlog-dev libfmt-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
       libssl-dev ca-certificates)
# python3-gevent, -tornado, -aiohttp run examples/ against the server; docker-compose validates
# docker-compose.yml (tests/workshop); chromium renders the HTML report (tests/loadgen).
# clang and libclang-rt-14-dev (libclang_rt.fuzzer) build the libFuzzer targets of tests/fuzz;
# clang-format checks the code's formatting (scripts/check-format.sh).
test=(curl python3 procps python3-gevent python3-tornado python3-aiohttp docker-compose chromium
      clang libclang-rt-14-dev clang-format python3-yaml)
# kubectl kustomize renders deploy/kubernetes (tests/deploy), with python3-yaml to read it back.
# Debian's kubernetes-client (kubectl 1.20) conflicts with the kubectl of google-cloud-cli's
# packages: take Debian's only when no kubectl is there.
if ! command -v kubectl >/dev/null; then test+=(kubernetes-client); fi
# stress-ng keeps the cores busy for bench/busy-test.sh (the suite must pass on a busy machine).
bench=(wrk nginx-light nodejs hey time stress-ng nghttp2-client)

case "$profile" in
  build) packages=("${build[@]}") ;;
  test) packages=("${build[@]}" "${test[@]}") ;;
  bench) packages=("${build[@]}" "${test[@]}" "${bench[@]}") ;;
  *) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac

sudo=()
if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

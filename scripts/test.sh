#!/usr/bin/env bash
# The README's test command: installs, builds three times (-Werror release, ASan+UBSan,
# ThreadSanitizer) and runs every test in each, then fuzzes every parser for a bounded time
# (tests/fuzz, scripts/fuzz.sh), after checking formatting and the docs' links. .ci/run calls exactly this.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

bash "$root/scripts/install-deps.sh" test
echo "=== format and docs"
bash "$root/scripts/check-format.sh"
python3 "$root/scripts/check-docs.py"
echo "=== kubernetes manifests (${SECONDS} s in)"
# Rendered with kubectl kustomize and checked (tests/deploy); ctest runs it again in release.
py=/usr/bin/python3; [ -x "$py" ] || py=python3   # Debian's, which has python3-yaml
"$py" "$root/tests/deploy/kubernetes_test.py" kubectl "$root"
for flavour in release asan tsan; do
  echo "=== build: $flavour (${SECONDS} s in)"
  bash "$root/scripts/build.sh" "$flavour"
  echo "=== test: $flavour"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
  # Four at a time on two cores: most tests wait on sockets, timers and child processes, not
  # the CPU (the release suite took as long on a quiet machine as under stress-ng at -j2), and
  # every test is written to pass on a machine that is fully busy (bench/busy-test.sh).
  ctest --test-dir "$root/build/$flavour" --output-on-failure -j 4 --timeout 300
done
echo "=== build: fuzz (${SECONDS} s in)"
bash "$root/scripts/build.sh" fuzz
echo "=== fuzz: 10 s per target"
bash "$root/scripts/fuzz.sh" -max_total_time=10
echo "=== all green in ${SECONDS} s"

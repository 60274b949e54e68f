#!/usr/bin/env bash
# Configures and builds one flavour of loadlab into build/<flavour>.
#   build.sh release   optimised, warnings as errors (what the demo and the image run)
#   build.sh asan      AddressSanitizer + UndefinedBehaviorSanitizer
#   build.sh tsan      ThreadSanitizer
#   build.sh fuzz      the libFuzzer targets of tests/fuzz only (clang, ASan + UBSan)
set -euo pipefail

flavour=${1:-release}
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/build/$flavour"
args=(-DLOADLAB_WERROR=ON)
case "$flavour" in
  release) args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  asan) args+=(-DCMAKE_BUILD_TYPE=Debug "-DLOADLAB_SANITIZE=address,undefined") ;;
  tsan) args+=(-DCMAKE_BUILD_TYPE=Debug -DLOADLAB_SANITIZE=thread) ;;
  fuzz) args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOADLAB_FUZZ=ON -DLOADLAB_BUILD_BENCH=OFF
               -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++) ;;
  *) echo "usage: $0 release|asan|tsan|fuzz" >&2; exit 2 ;;
esac
shift || true

cmake -S "$root" -B "$dir" "${args[@]}" "$@" >/dev/null
if [ "$flavour" = fuzz ]; then
  cmake --build "$dir" -j "$(nproc)" --target fuzz_targets  # not the binaries and test suites
else
  cmake --build "$dir" -j "$(nproc)"
fi

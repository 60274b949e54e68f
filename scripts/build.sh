#!/usr/bin/env bash
# Configures and builds one flavour of loadlab into build/<flavour>.
#   build.sh release   optimised, warnings as errors (what the demo and the image run)
#   build.sh asan      AddressSanitizer + UndefinedBehaviorSanitizer
#   build.sh tsan      ThreadSanitizer, with the suites that run threads or processes only
#   build.sh fuzz      the libFuzzer targets of tests/fuzz only (clang, ASan + UBSan)
set -euo pipefail

flavour=${1:-release}
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/build/$flavour"
# Debug information is -g1 (functions and line tables: what backtraces, sanitizer reports and
# profilers read), not -g: variables' locations made a third of the compile time.
args=(-DLOADLAB_WERROR=ON
      "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG"
      -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DCMAKE_C_FLAGS_DEBUG=-g1)
# The builds that exist only to test (sanitizers, fuzzing) are unity builds: a batch of sources
# compiles as one, so the heavy headers (nlohmann/json, GoogleTest, spdlog) are compiled once
# per batch instead of once per file. The release build (the product) compiles file by file,
# which also proves each file includes what it uses.
testing=(-DCMAKE_UNITY_BUILD=ON -DLOADLAB_BUILD_BENCH=OFF)
case "$flavour" in
  release) args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  asan) args+=(-DCMAKE_BUILD_TYPE=Debug "-DLOADLAB_SANITIZE=address,undefined" "${testing[@]}") ;;
  tsan) args+=(-DCMAKE_BUILD_TYPE=Debug -DLOADLAB_SANITIZE=thread "${testing[@]}") ;;
  fuzz) args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOADLAB_FUZZ=ON "${testing[@]}"
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

#!/usr/bin/env bash
# Clean release build times: the workspace, and crate `cwpsa` with default and with all features.
# Each build starts from an empty target directory so that the figures are comparable.
# Usage: scripts/build-times.sh [TARGET_DIR_PREFIX]   (default /tmp/cwpsa-build-times)
# The figures depend on the machine's load: the load average is printed with each one.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-/tmp/cwpsa-build-times}

measure() {
    local name=$1
    shift
    local dir="$prefix-$name"
    rm -rf "$dir"
    local start end
    start=$(date +%s)
    CARGO_TARGET_DIR="$dir" cargo build --release --quiet "$@"
    end=$(date +%s)
    printf '%-22s %5ss   load: %s\n' "$name" "$((end - start))" "$(cut -d' ' -f1-3 /proc/loadavg)"
    rm -rf "$dir"
}

echo "cores: $(nproc)   load before: $(cut -d' ' -f1-3 /proc/loadavg)"
measure workspace --workspace
measure cwpsa-default -p cwpsa
measure cwpsa-all-features -p cwpsa --all-features

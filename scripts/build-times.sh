#!/usr/bin/env bash
# Clean release build times: crate `cwpsa` with default and with all features, and the whole
# workspace. Each build starts from an empty target directory so that the figures compare.
# Usage: scripts/build-times.sh [TARGET_DIR_PREFIX]   (default /tmp/cwpsa-build-times)
# Wall time depends on the machine's load (printed with each figure); the CPU time (user +
# system of every compiler process) much less so.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-/tmp/cwpsa-build-times}

measure() {
    local name=$1
    shift
    local dir="$prefix-$name"
    rm -rf "$dir"
    local times
    times=$(mktemp)
    CARGO_TARGET_DIR="$dir" /usr/bin/time -o "$times" -f '%e %U %S' cargo build --release --quiet "$@"
    read -r wall user sys < "$times"
    rm -f "$times" && rm -rf "$dir"
    printf '%-20s wall %6.0fs   cpu %6.0fs   load: %s\n' "$name" "$wall" "$(echo "$user + $sys" | bc)" \
        "$(cut -d' ' -f1-3 /proc/loadavg)"
}

echo "cores: $(nproc)   load before: $(cut -d' ' -f1-3 /proc/loadavg)"
measure cwpsa-default -p cwpsa
measure cwpsa-all-features -p cwpsa --all-features
measure workspace --workspace

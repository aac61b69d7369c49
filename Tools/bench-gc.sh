#!/usr/bin/env bash
# Garbage collection benchmarks (BENCHMARKS.md, "Garbage collection"), against `stowage serve`
# (release) on a loopback port with its data in a fresh temporary directory:
#   1. push latency (small-push and manifest-put p99) without collection, then again while a
#      client runs collection back to back, with no grace period, so that it marks, condemns,
#      deletes and compacts while the pushes go on;
#   2. the time of one collection pass over a store of N blobs (default 100000) that nothing
#      references: the first pass marks and condemns them all, the second deletes them all.
#
#   Tools/bench-gc.sh                 # N = 100000
#   BENCH_GC_BLOBS=20000 Tools/bench-gc.sh
#   BENCH_GC_PUSHES=5000 Tools/bench-gc.sh   # pushes per scenario in part 1 (default 20000)
#
# Environment: STOWAGE_BENCH_BIN, STOWAGE_BIN as for Tools/compare-registries.sh.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/bench-gc.XXXXXX)
blobs=${BENCH_GC_BLOBS:-100000}
# Enough pushes that collection condemns and deletes the whole store while they run.
pushes=${BENCH_GC_PUSHES:-20000}
server_pid=""
loop_pid=""
cleanup() {
    [[ -n $loop_pid ]] && kill "$loop_pid" 2>/dev/null || true
    [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
say() { printf '== %s\n' "$*" >&2; }

build_product() {
    (cd "$root" && STOWAGE_BENCH_TOOL=1 swift build -c release --scratch-path .build-bench-tool --product "$1" >&2)
    echo "$(cd "$root" && STOWAGE_BENCH_TOOL=1 swift build -c release --scratch-path .build-bench-tool --show-bin-path)/$1"
}
bench=${STOWAGE_BENCH_BIN:-$(build_product stowage-bench)}
stowage=${STOWAGE_BIN:-$(build_product stowage)}

port=$((20000 + RANDOM % 20000))
url="http://127.0.0.1:$port"
STOWAGE_GC_INTERVAL=0 STOWAGE_GC_GRACE_PERIOD=0 "$stowage" serve --data-dir "$work/data" --listen "127.0.0.1:$port" \
    >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "$url/v2/" && break; sleep 0.1; done

p99() { # scenario report.json
    python3 -c 'import json,sys; r=json.load(open(sys.argv[2])); print(next(s["p99Milliseconds"] for s in r["results"] if s["scenario"]==sys.argv[1]))' "$1" "$2"
}
pushes() { # label
    "$bench" run --registry "$url" --server-pid "$server_pid" --label "$1" --scenarios small-push,manifest-put \
        --count "small-push=$pushes" --count "manifest-put=$pushes" --json >"$work/$1.json"
}
collect() { curl -sf -X POST "$url/api/v1/gc"; }
seconds() { python3 -c 'import json,sys; r=json.load(sys.stdin); print("%.2f s: %d blobs, %d condemned, %d deleted, %d compacted" % (r["seconds"], r["blobs"], r["condemnedBlobs"], r["deletedBlobs"], r["compactedBlobs"]))'; }

say "filling the store with $blobs small blobs nothing references"
"$bench" run --registry "$url" --scenarios small-push --count "small-push=$blobs" --concurrency small-push=32 --max-seconds 600 >/dev/null

say "push latency without collection"
pushes quiet
say "push latency while collection runs back to back"
(while kill -0 "$server_pid" 2>/dev/null; do collect >>"$work/runs.json" || true; echo >>"$work/runs.json"; done) &
loop_pid=$!
pushes collecting
kill "$loop_pid"; wait "$loop_pid" 2>/dev/null || true; loop_pid=""
runs=$(grep -c seconds "$work/runs.json" || true)
collected=$(python3 -c 'import json,sys
def parse(line):
    try: return json.loads(line)
    except ValueError: return None
runs=[r for r in map(parse, open(sys.argv[1])) if r]
print("%d condemned, %d deleted" % (sum(r["condemnedBlobs"] for r in runs), sum(r["deletedBlobs"] for r in runs)))' "$work/runs.json")

for scenario in small-push manifest-put; do
    quiet=$(p99 "$scenario" "$work/quiet.json"); busy=$(p99 "$scenario" "$work/collecting.json")
    printf '%-13s p99 without collection %8.2f ms, while collecting %8.2f ms, ratio %.2f\n' \
        "$scenario" "$quiet" "$busy" "$(python3 -c "print($busy / $quiet)")"
done
echo "collection runs finished during the second measurement: $runs ($collected)"
for report in quiet collecting; do
    python3 -c 'import json,sys
for s in json.load(open(sys.argv[1]))["results"]:
    if s["errors"]: print("%s, %s: %d errors, the first: %s" % (sys.argv[2], s["scenario"], s["errors"], s.get("firstError")))' \
        "$work/$report.json" "$report"
done

say "one pass over $blobs unreferenced blobs"
collect >/dev/null; sleep 1.1; collect >/dev/null
"$bench" run --registry "$url" --scenarios small-push --count "small-push=$blobs" --concurrency small-push=32 --max-seconds 600 >/dev/null
sleep 1.1
printf 'mark and condemn: '; collect | seconds
sleep 1.1
printf 'sweep and delete: '; collect | seconds

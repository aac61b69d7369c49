#!/usr/bin/env bash
# Reproduces the stowage-fsck figures in BENCHMARKS.md: scrub and verify throughput over a whole
# store, warm page cache, against our single-stream SHA-256 (`stowage digest`) in the same run.
#
# 1. builds stowage and stowage-fsck (release) unless SKIP_BUILD=1;
# 2. starts `stowage serve` on a fresh data directory under TMPDIR (the disk, not tmpfs) and
#    pushes LARGE blobs of 64 MiB (solo packs) and SMALL blobs of 128 KiB (shared packs), random
#    bytes, through the registry API; stops it;
# 3. reads every pack once (warm cache), then runs, RUNS times each, best taken:
#    anchor: `stowage digest` of a 1 GiB file in /dev/shm (single-stream hardware SHA-256);
#    `stowage-fsck --level scrub`, `--level verify --jobs 1`, `--level verify` (every core);
#    rates are bytes read (scrub) or hashed (verify) over the whole check's wall time (its JSON
#    `seconds`), and over the CPU time the process used.
#
# Usage: Tools/bench-fsck.sh        Knobs: LARGE=24 SMALL=2048 RUNS=5 SKIP_BUILD=0 TMPDIR=/tmp
#                                    KEEP=dir: make the store in dir/data and keep it; if it is
#                                    there already, measure it again without pushing
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=${REPO:-$(git -C "$script_dir" rev-parse --show-toplevel)}
LARGE=${LARGE:-24}
SMALL=${SMALL:-2048}
RUNS=${RUNS:-5}
cd "$REPO"

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    swift build -c release --product stowage >&2
    swift build -c release --product stowage-fsck >&2
fi
bin=$(swift build -c release --show-bin-path)

if [[ -n ${KEEP:-} ]]; then
    work=$KEEP
    mkdir -p "$work"
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/bench-fsck.XXXXXX")
fi
anchor=/dev/shm/bench-fsck.$$.bin
server=
cleanup() {
    [[ -n $server ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -f "$anchor"
    [[ -n ${KEEP:-} ]] || rm -rf "$work"
}
trap cleanup EXIT

echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
grep -m1 'model name' /proc/cpuinfo | sed 's/^model name\s*: /cpu: /'

if [[ ! -d $work/data/packs ]]; then
    "$bin/stowage" serve --data-dir "$work/data" --listen 127.0.0.1:0 >"$work/serve.log" 2>&1 &
    server=$!
    port=
    for _ in $(seq 300); do
        port=$(sed -n 's|^stowage: listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$work/serve.log")
        [[ -n $port ]] && break
        sleep 0.1
    done
    [[ -n $port ]] || { cat "$work/serve.log" >&2; exit 1; }

    python3 - "$port" "$LARGE" "$SMALL" <<'EOF'
import hashlib, http.client, os, sys
port, large, small = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
def push(body):
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    connection.request("POST", f"/v2/bench/fsck/blobs/uploads/?digest={digest}", body=body,
                       headers={"Content-Type": "application/octet-stream"})
    response = connection.getresponse()
    response.read()
    if response.status != 201:
        sys.exit(f"push {digest}: HTTP {response.status}")
for _ in range(large):
    push(os.urandom(64 << 20))
for _ in range(small):
    push(os.urandom(128 << 10))
EOF
    kill "$server"
    wait "$server" || true
    server=
fi

cat "$work"/data/packs/* >/dev/null
store_bytes=$(du -sb "$work/data/packs" | cut -f1)
echo "store: $(ls "$work/data/packs" | grep -c pack$) packs, $(awk -v b="$store_bytes" 'BEGIN { printf "%.2f GB", b / 1e9 }') of packs, page cache warm"

head -c $((1 << 30)) /dev/urandom >"$anchor"
# Each figure is the best of RUNS: bytes over wall time, and bytes over the CPU time the child
# used (user + system), which another process competing for the cores disturbs less.
python3 - "$bin" "$work/data" "$anchor" "$RUNS" <<'EOF'
import json, resource, subprocess, sys, time
bin, data, anchor, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

def timed(command):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    output = subprocess.run(command, check=False, capture_output=True).stdout
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return output, wall, cpu

def best(command, count):
    """Best MB/s by wall time and by CPU time; count(output, wall) gives the bytes and seconds."""
    walls, cpus = [], []
    for _ in range(runs):
        output, wall, cpu = timed(command)
        size, seconds = count(output, wall)
        walls.append(size / seconds / 1e6)
        cpus.append(size / cpu / 1e6)
    return max(walls), max(cpus)

anchor_rates = best([f"{bin}/stowage", "digest", anchor], lambda output, wall: (1 << 30, wall))

def fsck(field, *arguments):
    def count(output, wall):
        statistics = json.loads(output)["store"]["statistics"]
        return statistics[field], statistics["seconds"]
    return best([f"{bin}/stowage-fsck", "--data-dir", data, "--json", *arguments], count)

rows = [
    ("anchor: stowage digest, 1 GiB in /dev/shm (SHA-NI)", anchor_rates, True),
    ("stowage-fsck --level scrub (every core)", fsck("bytesScrubbed", "--level", "scrub"), False),
    ("stowage-fsck --level verify --jobs 1", fsck("bytesHashed", "--level", "verify", "--jobs", "1"), True),
    ("stowage-fsck --level verify (every core)", fsck("bytesHashed", "--level", "verify"), True),
]
print(f"| {'what':52} | wall MB/s | ratio | MB per CPU-second | ratio |")
print(f"|:{'-' * 52}|----------:|------:|------------------:|------:|")
for name, (wall, cpu), compare in rows:
    wall_ratio = f"{wall / anchor_rates[0]:.2f}" if compare else "-"
    cpu_ratio = f"{cpu / anchor_rates[1]:.2f}" if compare else "-"
    print(f"| {name:52} | {wall:9.0f} | {wall_ratio:>5} | {cpu:17.0f} | {cpu_ratio:>5} |")
EOF

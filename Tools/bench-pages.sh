#!/usr/bin/env bash
# The pages' two targets (issue #17), each against its anchor in the same run:
#  1. a package page with 5,000 versions: p50/p99 of 200 GETs, as the client sees them and as the
#     server's access log times them, on SQLite and on a private PostgreSQL. The 5,000 versions
#     are pushed in seconds; PostgreSQL plans by statistics its autovacuum gathers a while later,
#     so the timed part waits for it (autovacuum every 5 s here, 20 s of settling) as a package's
#     page would meet it after months of pushes;
#  2. what counting pulls costs manifest GET by tag: the manifest-get scenario against a server
#     counting pulls and one with `pages.count_pulls: false`, alternated ROUNDS times.
#
#   Tools/bench-pages.sh [ROUNDS]        (default 3; builds the release binaries first)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/Tools/bench-lib.sh"
rounds=${1:-3}
work=$(mktemp -d /tmp/stowage-bench-pages.XXXXXX)
# PostgreSQL runs as its own user, which must reach its directory inside.
chmod 755 "$work"
server_pid=
cleanup() {
    [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
    [[ -f $work/postgres/data/PG_VERSION ]] && "$root/Tools/postgres-test-cluster.sh" stop "$work/postgres" >/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

stowage=$(build_product stowage)
bench=$(build_product stowage-bench)

# Starts `stowage serve` in a fresh directory with the extra arguments; sets server_pid, port.
start_server() {
    local name=$1
    shift
    mkdir -p "$work/$name"
    port=$(free_port)
    (cd "$work/$name" && exec "$stowage" serve --listen "127.0.0.1:$port" "$@" >"$work/$name/serve.log" 2>&1) &
    server_pid=$!
    wait_ready "$port" "$server_pid" || { cat "$work/$name/serve.log" >&2; exit 1; }
}

stop_server() {
    kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
    server_pid=
}

# p50 and p99 of the server's own time for the page GETs, from its access log.
server_times() {
    grep '"GET /-/packages/' "$1" | sed -E 's/.* ([0-9.]+)ms .*/\1/' | sort -n |
        awk '{ t[NR] = $1 } END { printf "server p50 %.2f ms, p99 %.2f ms over %d GETs\n", t[int(NR * 0.5 + 0.5)], t[int(NR * 0.99 + 0.5)], NR }'
}

page() {
    local label=$1 settle=$2
    shift 2
    say "package page, $label"
    start_server "page-$label" "$@"
    "$bench" run --registry "http://127.0.0.1:$port" --server-pid "$server_pid" --label "$label" --scenarios package-page --settle "$settle"
    server_times "$work/page-$label/serve.log"
    stop_server
}

page sqlite 0
postgres=$(POSTGRES_OPTIONS="-c autovacuum_naptime=5" "$root/Tools/postgres-test-cluster.sh" start "$work/postgres" "$(free_port)")
page postgres 20 --metadata-url "$postgres"
page postgres-unsettled 0 --metadata-url "$postgres"

for round in $(seq 1 "$rounds"); do
    for counting in true false; do
        say "manifest GET by tag, round $round, count_pulls $counting"
        STOWAGE_PAGES_COUNT_PULLS=$counting start_server "get-$round-$counting"
        "$bench" run --registry "http://127.0.0.1:$port" --server-pid "$server_pid" --label "count_pulls=$counting" \
            --scenarios manifest-get --count manifest-get=60000
        stop_server
    done
done

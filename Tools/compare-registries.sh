#!/usr/bin/env bash
# Benchmarks docker-registry (Debian's docker-registry package, distribution 2.8) and
# `stowage serve` with the same stowage-bench scenarios, one server at a time, each on its own
# loopback port with its data in a fresh temporary directory, then prints both reports and the
# ratios. Arguments are passed to `stowage-bench run`, e.g.
#
#   Tools/compare-registries.sh                                   # every scenario, default sizes
#   Tools/compare-registries.sh --scale 0.1                       # quick check
#   Tools/compare-registries.sh --scenarios pull,blob-head --count pull=8
#
# Environment:
#   STOWAGE_BENCH_BIN   a built stowage-bench (default: build it into .build-bench-tool)
#   STOWAGE_BIN         a built stowage (default: build it into .build-bench-tool, release)
#   COMPARE_OUT_DIR     keep the JSON reports there (default: they go with the temp directory)
#   COMPARE_POSTGRES=1  also run stowage with its metadata on PostgreSQL (a private cluster on
#                       loopback, fsync and synchronous_commit on, Tools/postgres-test-cluster.sh)
#                       and print its ratios to stowage on SQLite and to docker-registry
#
# When `stowage serve` is not available yet, only docker-registry is measured and the output
# says that stowage was skipped. Servers are run one at a time so that the idle one cannot
# disturb the measured one on a small machine.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/compare-registries.XXXXXX)
chmod 755 "$work"   # a PostgreSQL cluster in it runs as postgres when this runs as root
server_pid=""

stop_server() {
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}
cleanup() {
    stop_server
    [[ -f $work/postgres/data/PG_VERSION ]] && "$root/Tools/postgres-test-cluster.sh" stop "$work/postgres" || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=bench-lib.sh
source "$root/Tools/bench-lib.sh"

command -v curl >/dev/null || { echo "curl is needed to wait for the servers" >&2; exit 1; }
registry_bin=$(command -v docker-registry || true)
if [[ -z $registry_bin ]]; then
    echo "docker-registry is not installed: apt-get install -y docker-registry" >&2
    exit 1
fi

bench=${STOWAGE_BENCH_BIN:-}
if [[ -z $bench ]]; then
    say "building stowage-bench"
    bench=$(build_product stowage-bench)
fi

# --- docker-registry ---------------------------------------------------------------------
port=$(free_port)
mkdir -p "$work/docker-registry-data"
# The Debian package's own settings (in-memory blob descriptor cache, deletes enabled) minus
# auth and the access log, whose per-request line would be a cost stowage does not pay.
cat >"$work/docker-registry.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: $work/docker-registry-data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: $(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
EOF
say "starting docker-registry on 127.0.0.1:$port ($("$registry_bin" --version 2>&1 | head -1))"
"$registry_bin" serve "$work/docker-registry.yml" >"$work/docker-registry.log" 2>&1 &
server_pid=$!
if ! wait_ready "$port" "$server_pid"; then
    cat "$work/docker-registry.log" >&2
    echo "docker-registry did not start" >&2
    exit 1
fi
"$bench" run --registry "http://127.0.0.1:$port" --server-pid "$server_pid" --label docker-registry \
    --json "$@" >"$work/docker-registry.json"
stop_server
# Distribution logs every 404 at error level; the pull scenario's existence checks make some.
if grep -v 'err.code="blob unknown"' "$work/docker-registry.log" >"$work/docker-registry.problems"; then
    say "docker-registry logged warnings or errors (last 20):"
    tail -20 "$work/docker-registry.problems" >&2
fi
# Distribution does not fsync: gigabytes of its pushes would still be going to disk while
# stowage is measured, in its reads' way.
rm -rf "$work/docker-registry-data"
sync

# --- stowage -------------------------------------------------------------------------------
stowage_report=""
skip_reason=""
stowage=${STOWAGE_BIN:-}
if [[ -z $stowage ]]; then
    say "building stowage (release)"
    if ! stowage=$(build_product stowage); then
        skip_reason="stowage did not build"
    fi
fi
if [[ -z $skip_reason ]] && ! "$stowage" serve --help >/dev/null 2>&1; then
    skip_reason="this stowage has no 'serve' command yet"
fi
if [[ -z $skip_reason ]]; then
    port=$(free_port)
    say "starting stowage serve on 127.0.0.1:$port"
    "$stowage" serve --listen "127.0.0.1:$port" --data-dir "$work/stowage-data" >"$work/stowage.log" 2>&1 &
    server_pid=$!
    if wait_ready "$port" "$server_pid"; then
        if "$bench" run --registry "http://127.0.0.1:$port" --server-pid "$server_pid" --label stowage \
            --json "$@" >"$work/stowage.json"; then
            stowage_report="$work/stowage.json"
        else
            skip_reason="stowage-bench failed against stowage"
        fi
    else
        tail -20 "$work/stowage.log" >&2
        skip_reason="stowage serve did not start"
    fi
    stop_server
fi

# --- stowage, metadata on PostgreSQL ------------------------------------------------------
postgres_report=""
if [[ -n ${COMPARE_POSTGRES:-} && -n $stowage_report ]]; then
    sync
    url=$("$root/Tools/postgres-test-cluster.sh" start "$work/postgres" "$(free_port)")
    port=$(free_port)
    say "starting stowage serve on 127.0.0.1:$port with its metadata on PostgreSQL"
    "$stowage" serve --listen "127.0.0.1:$port" --data-dir "$work/stowage-postgres-data" --metadata-url "$url" \
        >"$work/stowage-postgres.log" 2>&1 &
    server_pid=$!
    if wait_ready "$port" "$server_pid" && "$bench" run --registry "http://127.0.0.1:$port" --server-pid "$server_pid" \
        --label stowage-postgres --json "$@" >"$work/stowage-postgres.json"; then
        postgres_report="$work/stowage-postgres.json"
    else
        tail -20 "$work/stowage-postgres.log" >&2
        echo "stowage on PostgreSQL: failed" >&2
    fi
    stop_server
    "$root/Tools/postgres-test-cluster.sh" stop "$work/postgres"
fi

# --- report --------------------------------------------------------------------------------
echo
"$bench" compare "$work/docker-registry.json" ${stowage_report:+"$stowage_report"}
if [[ -n $skip_reason ]]; then
    echo
    echo "stowage: skipped ($skip_reason)"
fi
if [[ -n $postgres_report ]]; then
    echo
    echo "== stowage on PostgreSQL ÷ stowage on SQLite"
    "$bench" compare "$stowage_report" "$postgres_report" | sed -n '/ratio\|÷/,$p'
    echo
    echo "== stowage on PostgreSQL ÷ docker-registry"
    "$bench" compare "$work/docker-registry.json" "$postgres_report" | sed -n '/ratio\|÷/,$p'
fi
if [[ -n ${COMPARE_OUT_DIR:-} ]]; then
    mkdir -p "$COMPARE_OUT_DIR"
    cp "$work/docker-registry.json" ${stowage_report:+"$stowage_report"} ${postgres_report:+"$postgres_report"} "$COMPARE_OUT_DIR/"
    say "JSON reports copied to $COMPARE_OUT_DIR"
fi

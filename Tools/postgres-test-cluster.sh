#!/usr/bin/env bash
# A private PostgreSQL 15 cluster on loopback, for the tests and benchmarks; nothing of the
# machine's own PostgreSQL is touched.
#
#   Tools/postgres-test-cluster.sh start DIR PORT   initdb into DIR (if new), start, print the URL
#   Tools/postgres-test-cluster.sh stop DIR         stop it (fast shutdown); DIR stays
#   Tools/postgres-test-cluster.sh kill DIR         stop it at once (immediate shutdown)
#
# The superuser is `stowage` with a password (scram-sha-256 over TCP); the URL printed is
# postgres://stowage:PASSWORD@127.0.0.1:PORT/postgres. fsync and synchronous_commit stay on, the
# defaults. As root, the cluster runs as the `postgres` user (initdb refuses root).
# POSTGRES_OPTIONS adds server options at start, e.g. "-c shared_preload_libraries=pg_stat_statements".
set -euo pipefail

command=${1:?usage: $0 start DIR PORT | stop DIR | kill DIR}
dir=${2:?DIR}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/pg_ctl" ] || { echo "PostgreSQL is not installed (apt-get install postgresql-15)" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$command" in
start)
    port=${3:?PORT}
    password=stowage-test
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        mkdir -p "$dir"
        [ "$(id -u)" = 0 ] && chown postgres "$dir"
        printf '%s\n' "$password" >"$dir/password"
        [ "$(id -u)" = 0 ] && chown postgres "$dir/password"
        as_owner "$bin/initdb" -D "$dir/data" -U stowage --pwfile="$dir/password" --auth-local=trust \
            --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
    fi
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=1000 ${POSTGRES_OPTIONS:-}" start >/dev/null
    echo "postgres://stowage:$password@127.0.0.1:$port/postgres"
    ;;
stop)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
kill)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
    ;;
*)
    echo "unknown command $command" >&2
    exit 2
    ;;
esac

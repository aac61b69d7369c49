#!/usr/bin/env bash
# The cluster-mode benchmark of BENCHMARKS.md ("Cluster mode"): on one private radosgw
# (Tools/radosgw-test-cluster.sh) and one private PostgreSQL (Tools/postgres-test-cluster.sh),
# in this order, one server at a time:
#   1. the store's own single-client throughput: a PUT and a GET of an object of the large-blob
#      size, by curl (--aws-sigv4), best of three;
#   2. docker-registry 2.8 with its s3 driver (reads proxied: redirect disabled), the anchor;
#   3. one `stowage serve` node on PostgreSQL and the bucket;
#   4. `stowage serve` on its single-node defaults (SQLite, local packs), for the reads' target;
#   5. three stowage nodes behind nginx round robin, for the record.
# Arguments go to every `stowage-bench run`, e.g.
#
#   Tools/compare-cluster.sh --large-blob-mib 64 --chunk-mib 8 --max-seconds 30
#
# Environment: STOWAGE_BENCH_BIN and STOWAGE_BIN as in compare-registries.sh; COMPARE_OUT_DIR
# keeps the JSON reports; CLUSTER_SKIP (comma-separated: docker-registry,single,three) leaves out
# runs.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/compare-cluster.XXXXXX)
chmod 755 "$work"
pids=()
large_mib=256
previous=""
for argument in "$@"; do
    [[ $previous == --large-blob-mib ]] && large_mib=$argument
    previous=$argument
done

stop_servers() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    pids=()
}
cleanup() {
    stop_servers
    [[ -f $work/nginx/nginx.pid ]] && kill "$(cat "$work/nginx/nginx.pid")" 2>/dev/null || true
    [[ -f $work/postgres/data/PG_VERSION ]] && "$root/Tools/postgres-test-cluster.sh" stop "$work/postgres" || true
    [[ -d $work/radosgw ]] && "$root/Tools/radosgw-test-cluster.sh" kill "$work/radosgw" || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=bench-lib.sh
source "$root/Tools/bench-lib.sh"
skipped() { [[ ,${CLUSTER_SKIP:-}, == *,$1,* ]]; }

bench=${STOWAGE_BENCH_BIN:-$(build_product stowage-bench)}
stowage=${STOWAGE_BIN:-$(build_product stowage)}

# --- the store and the database ---------------------------------------------------------------
say "starting a one-node Ceph cluster with radosgw"
# At the default priority, as a store of its own would run (the tests lower it).
read -r endpoint access secret < <(RADOSGW_NICE=0 "$root/Tools/radosgw-test-cluster.sh" start "$work/radosgw" "$(free_port)")
export AWS_ACCESS_KEY_ID=${access#AWS_ACCESS_KEY_ID=} AWS_SECRET_ACCESS_KEY=${secret#AWS_SECRET_ACCESS_KEY=}
# radosgw wants x-amz-content-sha256 signed; curl sends none of its own.
sigv4=(--aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD")
bucket() { curl -fsS "${sigv4[@]}" -X PUT "$endpoint/$1" -o /dev/null; }
say "starting PostgreSQL"
postgres=$("$root/Tools/postgres-test-cluster.sh" start "$work/postgres" "$(free_port)")
database() {
    psql "$postgres" -qc "CREATE DATABASE $1" >/dev/null
    echo "${postgres%/*}/$1"
}

# --- 1. the store's own throughput --------------------------------------------------------------
bucket raw
head -c $((large_mib << 20)) /dev/urandom >"$work/object"
best_put=0
best_get=0
for round in 1 2 3; do
    seconds=$(curl -fsS "${sigv4[@]}" -T "$work/object" "$endpoint/raw/object$round" -o /dev/null -w '%{time_total}')
    rate=$(awk -v b=$((large_mib << 20)) -v s="$seconds" 'BEGIN { printf "%.0f", b / s / 1e6 }')
    ((rate > best_put)) && best_put=$rate
    seconds=$(curl -fsS "${sigv4[@]}" "$endpoint/raw/object$round" -o /dev/null -w '%{time_total}')
    rate=$(awk -v b=$((large_mib << 20)) -v s="$seconds" 'BEGIN { printf "%.0f", b / s / 1e6 }')
    ((rate > best_get)) && best_get=$rate
done
rm -f "$work/object"
say "radosgw alone, one client, $large_mib MiB: PUT $best_put MB/s, GET $best_get MB/s (best of 3, curl)"

run_bench() {
    local label=$1 port=$2 pid=$3
    shift 3
    "$bench" run --registry "http://127.0.0.1:$port" --server-pid "$pid" --label "$label" --json "$@" >"$work/$label.json"
}

# --- 2. docker-registry on the same store --------------------------------------------------------
if ! skipped docker-registry; then
    bucket docker-registry
    port=$(free_port)
    cat >"$work/docker-registry.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  cache:
    blobdescriptor: inmemory
  s3:
    region: us-east-1
    regionendpoint: $endpoint
    bucket: docker-registry
    accesskey: $AWS_ACCESS_KEY_ID
    secretkey: $AWS_SECRET_ACCESS_KEY
    secure: false
    v4auth: true
  redirect:
    disable: true
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: $(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
EOF
    say "docker-registry (s3 driver) on 127.0.0.1:$port"
    # Its AWS SDK panics on the AWS_CA_BUNDLE this machine sets (../shared/SCALEOUT-NOTES.md).
    env -u AWS_CA_BUNDLE docker-registry serve "$work/docker-registry.yml" >"$work/docker-registry.log" 2>&1 &
    pids+=($!)
    wait_ready "$port" "${pids[0]}" || { tail -20 "$work/docker-registry.log" >&2; exit 1; }
    run_bench docker-registry "$port" "${pids[0]}" "$@"
    stop_servers
fi

# --- 3. one stowage node on PostgreSQL and the bucket --------------------------------------------
cluster_env() {  # exec through env, so that $! is the server itself (its CPU is reported)
    exec env STOWAGE_STORAGE_S3_ENDPOINT=$endpoint STOWAGE_STORAGE_S3_BUCKET=$1 STOWAGE_METADATA_URL=$2 "${@:3}"
}
if ! skipped single; then
    bucket stowage-one
    url=$(database stowage_one)
    port=$(free_port)
    say "one stowage node (PostgreSQL + radosgw) on 127.0.0.1:$port"
    cluster_env stowage-one "$url" "$stowage" serve --listen "127.0.0.1:$port" --data-dir "$work/one" >"$work/one.log" 2>&1 &
    pids+=($!)
    wait_ready "$port" "${pids[0]}" || { tail -20 "$work/one.log" >&2; exit 1; }
    run_bench stowage-cluster "$port" "${pids[0]}" "$@"
    stop_servers

    # --- 4. stowage on its single-node defaults -----------------------------------------------------
    port=$(free_port)
    say "stowage on SQLite and local packs on 127.0.0.1:$port"
    "$stowage" serve --listen "127.0.0.1:$port" --data-dir "$work/local" >"$work/local.log" 2>&1 &
    pids+=($!)
    wait_ready "$port" "${pids[0]}" || { tail -20 "$work/local.log" >&2; exit 1; }
    run_bench stowage-local "$port" "${pids[0]}" "$@"
    stop_servers
    rm -rf "$work/local"
fi

# --- 5. three nodes behind nginx ---------------------------------------------------------------------
if ! skipped three; then
    bucket stowage-three
    url=$(database stowage_three)
    upstreams=""
    for node in 1 2 3; do
        port=$(free_port)
        cluster_env stowage-three "$url" "$stowage" serve --listen "127.0.0.1:$port" --data-dir "$work/node$node" \
            >"$work/node$node.log" 2>&1 &
        pids+=($!)
        wait_ready "$port" "${pids[-1]}" || { tail -20 "$work/node$node.log" >&2; exit 1; }
        upstreams+="server 127.0.0.1:$port; "
    done
    port=$(free_port)
    mkdir -p "$work/nginx"
    cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 1;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    upstream stowage { $upstreams keepalive 64; }
    server {
        listen 127.0.0.1:$port;
        client_max_body_size 0;
        proxy_request_buffering off;
        proxy_buffering off;
        location / {
            proxy_pass http://stowage;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
        }
    }
}
EOF
    nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -g "daemon on; pid $work/nginx/nginx.pid;"
    say "three stowage nodes behind nginx on 127.0.0.1:$port"
    # The first node's CPU is reported; the three share the two cores.
    run_bench stowage-three "$port" "${pids[0]}" "$@"
    stop_servers
fi

# --- report ----------------------------------------------------------------------------------------------
echo
echo "radosgw alone, one client, $large_mib MiB object: PUT $best_put MB/s, GET $best_get MB/s (curl, best of 3)"
reports=()
for label in docker-registry stowage-cluster stowage-local stowage-three; do
    [[ -f $work/$label.json ]] && reports+=("$work/$label.json")
done
for report in "${reports[@]}"; do
    echo
    "$bench" compare "$report"
done
if [[ -f $work/docker-registry.json && -f $work/stowage-cluster.json ]]; then
    echo
    echo "== one stowage node (PostgreSQL + radosgw) ÷ docker-registry (s3)"
    "$bench" compare "$work/docker-registry.json" "$work/stowage-cluster.json" | sed -n '/ratio\|÷/,$p'
fi
if [[ -f $work/stowage-local.json && -f $work/stowage-cluster.json ]]; then
    echo
    echo "== one stowage node (PostgreSQL + radosgw) ÷ stowage on SQLite and local packs"
    "$bench" compare "$work/stowage-local.json" "$work/stowage-cluster.json" | sed -n '/ratio\|÷/,$p'
fi
if [[ -n ${COMPARE_OUT_DIR:-} ]]; then
    mkdir -p "$COMPARE_OUT_DIR"
    cp "${reports[@]}" "$COMPARE_OUT_DIR/"
    echo "radosgw PUT $best_put MB/s GET $best_get MB/s ($large_mib MiB, curl, best of 3)" >"$COMPARE_OUT_DIR/radosgw.txt"
    say "JSON reports copied to $COMPARE_OUT_DIR"
fi

#!/usr/bin/env bash
# Counts the PostgreSQL statements (each one round trip: postgres-nio sends Parse, Bind, Execute
# and Sync together and waits for the answer) that one registry operation costs, with the
# metadata on a private cluster with pg_stat_statements. Transaction control (BEGIN, COMMIT,
# SET LOCAL) counts as statements too. With ROUND_TRIPS_S3=1 the registry runs in cluster mode on a
# private radosgw (Tools/radosgw-test-cluster.sh), and the object-store requests each operation
# costs (from its /metrics) are counted too, with large pushes and pulls added.
#
#   Tools/postgres-round-trips.sh [STOWAGE_BIN]     (default .build/release/stowage)
#   ROUND_TRIPS_S3=1 Tools/postgres-round-trips.sh [STOWAGE_BIN]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
stowage=${1:-$root/.build/release/stowage}
work=$(mktemp -d /tmp/postgres-round-trips.XXXXXX)
chmod 755 "$work"   # the cluster runs as postgres when this runs as root
server_pid=""
cleanup() {
    [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
    "$root/Tools/postgres-test-cluster.sh" stop "$work/postgres" 2>/dev/null || true
    [[ -d $work/radosgw ]] && "$root/Tools/radosgw-test-cluster.sh" kill "$work/radosgw" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

pg_port=$((20000 + RANDOM % 10000))
port=$((30000 + RANDOM % 2000))
url=$(POSTGRES_OPTIONS="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_utility=on" \
    "$root/Tools/postgres-test-cluster.sh" start "$work/postgres" "$pg_port")
sql() { PGPASSWORD=stowage-test psql -X -q -t -A -h 127.0.0.1 -p "$pg_port" -U stowage postgres -c "$1"; }
sql "CREATE EXTENSION pg_stat_statements" >/dev/null
s3=${ROUND_TRIPS_S3:-}
if [[ -n $s3 ]]; then
    read -r endpoint access secret < <(RADOSGW_NICE=0 "$root/Tools/radosgw-test-cluster.sh" start "$work/radosgw" $((20000 + RANDOM % 10000)))
    export AWS_ACCESS_KEY_ID=${access#AWS_ACCESS_KEY_ID=} AWS_SECRET_ACCESS_KEY=${secret#AWS_SECRET_ACCESS_KEY=}
    curl -fsS --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -X PUT "$endpoint/round-trips" -o /dev/null
    export STOWAGE_STORAGE_S3_ENDPOINT=$endpoint STOWAGE_STORAGE_S3_BUCKET=round-trips
fi
"$stowage" serve --listen "127.0.0.1:$port" --data-dir "$work/data" --metadata-url "$url" >"$work/stowage.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break; sleep 0.1; done
base="http://127.0.0.1:$port/v2/bench/app"
n=50

# The statements the registry ran since the last reset, per operation.
measure() {
    local name=$1
    shift
    local calls before after
    sleep 0.2   # let the last-use and other queued writes land
    sql "SELECT pg_stat_statements_reset()" >/dev/null
    before=$(store_requests)
    "$@"
    sleep 0.2
    after=$(store_requests)
    calls=$(sql "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query NOT ILIKE '%pg_stat_statements%'")
    printf "%-44s %6.1f statements (round trips)" "$name" "$(awk -v c="$calls" -v n="$n" 'BEGIN { print c / n }')"
    [[ -n $s3 ]] && printf ", %5.1f object-store requests" "$(awk -v c=$((after - before)) -v n="$n" 'BEGIN { print c / n }')"
    printf " each\n"
}

# Requests the node sent to the object store so far (every try), from its metrics.
store_requests() {
    curl -s "http://127.0.0.1:$port/metrics" | awk '/^stowage_object_store_requests_total/ { sum += $NF } END { printf "%d", sum }'
}

blob() { head -c 4096 /dev/urandom >"$work/blob"; sha256sum "$work/blob" | cut -d' ' -f1; }
small_pushes() {
    for _ in $(seq 1 $n); do
        d=$(blob)
        curl -s -o /dev/null -X POST --data-binary @"$work/blob" "$base/blobs/uploads/?digest=sha256:$d"
    done
}
chunked_pushes() {
    for _ in $(seq 1 $n); do
        d=$(blob)
        loc=$(curl -s -D - -o /dev/null -X POST "$base/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
        curl -s -o /dev/null -X PATCH -H 'Content-Type: application/octet-stream' --data-binary @"$work/blob" "http://127.0.0.1:$port$loc"
        curl -s -o /dev/null -X PUT "http://127.0.0.1:$port$loc?digest=sha256:$d"
    done
}
# One config and one layer, then manifests that name them under new tags.
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' >"$work/config"
config=$(sha256sum "$work/config" | cut -d' ' -f1)
curl -s -o /dev/null -X POST --data-binary @"$work/config" "$base/blobs/uploads/?digest=sha256:$config"
layer=$(blob)
curl -s -o /dev/null -X POST --data-binary @"$work/blob" "$base/blobs/uploads/?digest=sha256:$layer"
manifest_puts() {
    for i in $(seq 1 $n); do
        printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":4096}],"annotations":{"n":"%d"}}' \
            "$config" "$(stat -c %s "$work/config")" "$layer" "$i" >"$work/manifest"
        curl -s -o /dev/null -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @"$work/manifest" "$base/manifests/t$i"
    done
}
manifest_gets() { for i in $(seq 1 $n); do curl -s -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$base/manifests/t$i"; done; }
blob_heads() { for _ in $(seq 1 $n); do curl -s -o /dev/null -I "$base/blobs/sha256:$layer"; done; }
blob_gets() { for _ in $(seq 1 $n); do curl -s -o /dev/null "$base/blobs/sha256:$layer"; done; }

measure "small blob push (POST ?digest=, 4 KiB)" small_pushes
measure "chunked blob push (POST, PATCH, PUT)" chunked_pushes
measure "manifest PUT (one config, one layer)" manifest_puts
measure "manifest GET by tag" manifest_gets
measure "blob HEAD" blob_heads
measure "blob GET" blob_gets
if [[ -n $s3 ]]; then
    # 20 MiB, in 8 MiB chunks and in one request: multipart parts as they come, then one GET.
    n=5
    head -c $((20 << 20)) /dev/urandom >"$work/large"
    large_chunked() {
        for _ in $(seq 1 $n); do
            head -c 16 /dev/urandom >>"$work/large"
            d=$(sha256sum "$work/large" | cut -d' ' -f1)
            loc=$(curl -s -D - -o /dev/null -X POST "$base/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
            size=$(stat -c %s "$work/large")
            for start in $(seq 0 $((8 << 20)) $((size - 1))); do
                end=$((start + (8 << 20) - 1)); ((end >= size)) && end=$((size - 1))
                dd if="$work/large" of="$work/chunk" iflag=skip_bytes,count_bytes skip=$start count=$((end - start + 1)) status=none
                curl -s -o /dev/null -X PATCH -H "Content-Range: $start-$end" -H 'Content-Type: application/octet-stream' \
                    --data-binary @"$work/chunk" "http://127.0.0.1:$port$loc"
            done
            curl -s -o /dev/null -X PUT "http://127.0.0.1:$port$loc?digest=sha256:$d"
        done
        large_digest=$d
    }
    large_monolithic() {
        for _ in $(seq 1 $n); do
            head -c 16 /dev/urandom >>"$work/large"
            d=$(sha256sum "$work/large" | cut -d' ' -f1)
            curl -s -o /dev/null -X POST -H 'Content-Type: application/octet-stream' --data-binary @"$work/large" "$base/blobs/uploads/?digest=sha256:$d"
        done
    }
    large_gets() { for _ in $(seq 1 $n); do curl -s -o /dev/null "$base/blobs/sha256:$large_digest"; done; }
    measure "large push, 20 MiB in 8 MiB PATCHes" large_chunked
    measure "large push, 20 MiB in one POST" large_monolithic
    measure "large blob GET, 20 MiB" large_gets
fi

#!/usr/bin/env bash
# A private one-node Ceph cluster with a radosgw on loopback: the S3-compatible object store of
# the cluster tests and benchmarks. Nothing of the machine's own Ceph (if any) is touched.
#
#   Tools/radosgw-test-cluster.sh start DIR PORT   create the cluster in DIR (if new), start it, print the endpoint
#   Tools/radosgw-test-cluster.sh stop DIR         stop every daemon (TERM, then KILL after 20 s); DIR stays
#   Tools/radosgw-test-cluster.sh kill DIR         stop every daemon at once (KILL)
#   Tools/radosgw-test-cluster.sh gateway-stop DIR   stop only radosgw (the store "goes away")
#   Tools/radosgw-test-cluster.sh gateway-start DIR  start radosgw again and wait until it answers
#
# One monitor (ports PORT+1, PORT+2), one OSD on bluestore over a sparse file, no manager (S3 does
# not need one), one radosgw on 127.0.0.1:PORT; pool size 1. The S3 user is `stowage` with the
# access key and secret printed as AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... after the
# endpoint. Every file (data, logs, sockets, pids) is under DIR. Facts behind the settings are in
# ../shared/SCALEOUT-NOTES.md: a map change waits `paxos propose interval`, 1 s by default (pools
# took ~9 s to create); the first write to a fresh pool waits for its placement groups, so each
# pool radosgw uses is created and written once before radosgw starts.
set -euo pipefail

command=${1:?usage: $0 start DIR PORT | stop DIR | kill DIR | gateway-stop DIR | gateway-start DIR}
dir=${2:?DIR}
for tool in ceph-mon ceph-osd radosgw ceph radosgw-admin monmaptool ceph-authtool uuidgen; do
    command -v "$tool" >/dev/null || {
        echo "$tool is missing (apt-get install ceph-mon ceph-osd radosgw ceph-common uuid-runtime)" >&2
        exit 1
    }
done
access_key=STOWAGETESTACCESSKEY
secret_key=stowage-test-secret-key-0123456789abcdef
conf="$dir/ceph.conf"
# The daemons run dozens of threads each; at the default priority they took most of two cores
# from the test process under load (the scheduler shares by thread), which then missed its own
# timeouts. RADOSGW_NICE=0 runs them at the default priority (benchmarks).
nice="nice -n ${RADOSGW_NICE:-10}"

ceph_cli() { timeout 60 ceph -c "$conf" "$@"; }

wait_for_gateway() {
    local port
    port=$(cat "$dir/port")
    for _ in $(seq 1 300); do
        if curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "radosgw did not answer on 127.0.0.1:$port; see $dir/log" >&2
    exit 1
}

start_gateway() {
    $nice radosgw -c "$conf" -n client.rgw.stowage
    wait_for_gateway
}

# The pid files the daemons write, newest daemon first (so the gateway goes before the OSD).
signal_daemons() {
    local signal=$1 name pid
    for name in client.rgw.stowage osd.0 mon.a; do
        pid=$(cat "$dir/run/$name.pid" 2>/dev/null || true)
        [ -n "$pid" ] && kill "-$signal" "$pid" 2>/dev/null || true
    done
}

wait_gone() {
    local name=$1 tries=$2 pid
    pid=$(cat "$dir/run/$name.pid" 2>/dev/null || true)
    [ -z "$pid" ] && return 0
    for _ in $(seq 1 "$tries"); do
        kill -0 "$pid" 2>/dev/null || { rm -f "$dir/run/$name.pid"; return 0; }
        sleep 0.1
    done
    return 1
}

case "$command" in
start)
    port=${3:?PORT}
    if [ ! -f "$dir/created" ]; then
        rm -rf "$dir"
        mkdir -p "$dir/run" "$dir/log" "$dir/mon" "$dir/osd" "$dir/rgw"
        fsid=$(uuidgen)
        cat >"$conf" <<EOF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$((port + 2)),v1:127.0.0.1:$((port + 1))]
public addr = 127.0.0.1
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $dir/keyring
run dir = $dir/run
log file = $dir/log/\$name.log
pid file = $dir/run/\$name.pid
admin socket = $dir/run/\$name.asok
mon data = $dir/mon
osd data = $dir/osd
rgw data = $dir/rgw
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
paxos propose interval = 0.05
[osd]
osd objectstore = bluestore
bluestore block create = true
bluestore block path = $dir/osd-block
bluestore block size = 8589934592
osd memory target = 943718400
[client]
admin socket = $dir/run/\$name.\$pid.asok
[client.rgw.stowage]
admin socket = $dir/run/\$name.asok
rgw frontends = beast endpoint=127.0.0.1:$port
EOF
        ceph-authtool --create-keyring "$dir/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
        ceph-authtool "$dir/keyring" --gen-key -n client.admin \
            --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' --cap mds 'allow *' >/dev/null
        ceph-authtool "$dir/keyring" --gen-key -n osd.0 \
            --cap mon 'allow profile osd' --cap osd 'allow *' --cap mgr 'allow profile osd' >/dev/null
        ceph-authtool "$dir/keyring" --gen-key -n client.rgw.stowage \
            --cap mon 'allow rw' --cap osd 'allow rwx' --cap mgr 'allow rw' >/dev/null
        monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$((port + 2)),v1:127.0.0.1:$((port + 1))]" \
            "$dir/monmap" >/dev/null
        ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/keyring"
        $nice ceph-mon -c "$conf" -i a
        osd_uuid=$(uuidgen)
        ceph_cli osd new "$osd_uuid" >/dev/null
        ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$osd_uuid" 2>"$dir/log/osd-mkfs.log"
        $nice ceph-osd -c "$conf" -i 0 2>>"$dir/log/osd-start.log"
        for pool in .rgw.root default.rgw.log default.rgw.control default.rgw.meta \
            default.rgw.buckets.index default.rgw.buckets.data default.rgw.buckets.non-ec; do
            ceph_cli osd pool create "$pool" 8 8 >/dev/null 2>&1
            ceph_cli osd pool application enable "$pool" rgw >/dev/null 2>&1
        done
        for pool in .rgw.root default.rgw.log default.rgw.control default.rgw.meta \
            default.rgw.buckets.index default.rgw.buckets.data default.rgw.buckets.non-ec; do
            echo warm | timeout 60 rados -c "$conf" -p "$pool" put stowage-warm-up - 
            timeout 60 rados -c "$conf" -p "$pool" rm stowage-warm-up
        done
        echo "$port" >"$dir/port"
        start_gateway
        timeout 60 radosgw-admin -c "$conf" user create --uid=stowage --display-name=stowage \
            --access-key="$access_key" --secret="$secret_key" >/dev/null
        touch "$dir/created"
    else
        $nice ceph-mon -c "$conf" -i a
        $nice ceph-osd -c "$conf" -i 0 2>>"$dir/log/osd-start.log"
        start_gateway
    fi
    echo "http://127.0.0.1:$port AWS_ACCESS_KEY_ID=$access_key AWS_SECRET_ACCESS_KEY=$secret_key"
    ;;
stop)
    signal_daemons TERM
    for name in client.rgw.stowage osd.0 mon.a; do
        wait_gone "$name" 200 || { signal_daemons KILL; wait_gone "$name" 50 || true; }
    done
    ;;
kill)
    signal_daemons KILL
    for name in client.rgw.stowage osd.0 mon.a; do wait_gone "$name" 50 || true; done
    ;;
gateway-stop)
    pid=$(cat "$dir/run/client.rgw.stowage.pid" 2>/dev/null || true)
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
    wait_gone client.rgw.stowage 50 || true
    ;;
gateway-start)
    start_gateway
    ;;
*)
    echo "unknown command $command" >&2
    exit 2
    ;;
esac

# Helpers the benchmark scripts share (sourced, not run): compare-registries.sh, compare-cluster.sh.
# Needs `root` (the checkout) set by the caller.

say() { printf '== %s\n' "$*" >&2; }

# A loopback port nothing listens on yet, below the ephemeral range, with the two after it free
# too (a radosgw's monitor takes them); bash's /dev/tcp connect fails fast on a closed port.
free_port() {
    local port
    for _ in $(seq 1 50); do
        port=$((20000 + RANDOM % 12000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && ! (exec 3<>"/dev/tcp/127.0.0.1/$((port + 1))") 2>/dev/null \
            && ! (exec 3<>"/dev/tcp/127.0.0.1/$((port + 2))") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    echo "no free loopback port found" >&2
    return 1
}

# Waits until the server on PORT answers GET /v2/ (any HTTP status), or process PID has died.
wait_ready() {
    local port=$1 pid=$2
    for _ in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || return 1
        curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/v2/" && return 0
        sleep 0.1
    done
    return 1
}

# Builds a product of the benchmark build (release, .build-bench-tool) and prints its path.
build_product() {
    (cd "$root" && STOWAGE_BENCH_TOOL=1 swift build -c release --scratch-path .build-bench-tool --product "$1" >&2)
    echo "$(cd "$root" && STOWAGE_BENCH_TOOL=1 swift build -c release --scratch-path .build-bench-tool --show-bin-path)/$1"
}

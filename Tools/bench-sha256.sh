#!/usr/bin/env bash
# Reproduces the SHA-256 figures in BENCHMARKS.md:
#   (a) HashBenchmarks: our hasher on every implementation and swift-crypto, 64 B..1 MiB updates;
#   (b) `openssl speed -evp sha256` with and without the SHA extensions, before and after (a);
#   (c) whole process: `stowage digest` per STOWAGE_SHA256 against `openssl dgst -sha256`
#       (normal and SHA-NI masked) on a 1 GiB file in /dev/shm.
# Needs no network once the benchmark dependencies are in .build-bench (or SwiftPM's cache).
#
# Usage: Tools/bench-sha256.sh            (from any directory; works on the repo holding it)
# Knobs (environment):
#   REPO=path          repository to build and measure (default: this script's repository)
#   MICRO_RUNS=2       HashBenchmarks runs (best and median are taken over all of them)
#   OPENSSL_SECONDS=2  seconds per `openssl speed` size
#   RUNS=5             runs per whole-process command
#   FILE_MIB=1024      size of the whole-process file
#   SKIP_MICRO=1       skip (a), e.g. to re-measure only OpenSSL and the whole process
#   KEEP_LOGS=dir      keep raw outputs there (default: a temporary directory, removed at exit)
# Measure on a quiet machine: the script prints the load and any running compilers first.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=${REPO:-$(git -C "$script_dir" rev-parse --show-toplevel)}
MICRO_RUNS=${MICRO_RUNS:-2}
OPENSSL_SECONDS=${OPENSSL_SECONDS:-2}
RUNS=${RUNS:-5}
FILE_MIB=${FILE_MIB:-1024}
SKIP_MICRO=${SKIP_MICRO:-0}
SIZES=(64 4096 16384 65536 1048576)
# CPUID.(EAX=7,ECX=0).EBX bit 29 = SHA extensions; OpenSSL then takes its AVX2+BMI2 path.
MASK=':~0x20000000'

if [[ -n ${KEEP_LOGS:-} ]]; then
    logs=$KEEP_LOGS
    mkdir -p "$logs"
else
    logs=$(mktemp -d /tmp/bench-sha256.XXXXXX)
fi
file=/dev/shm/stowage-bench-sha256.$$.bin
resolved_backup=

cleanup() {
    rm -f "$file"
    if [[ -n $resolved_backup ]]; then
        # The benchmark dependencies get pinned into Package.resolved; put the file back as it was.
        if [[ -s $resolved_backup ]]; then cp "$resolved_backup" "$REPO/Package.resolved"; else rm -f "$REPO/Package.resolved"; fi
        rm -f "$resolved_backup"
    fi
    [[ -n ${KEEP_LOGS:-} ]] || rm -rf "$logs"
}
trap cleanup EXIT

say() { printf '%s\n' "$*" >&2; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# ---------------------------------------------------------------------------------------------
# Environment
# ---------------------------------------------------------------------------------------------
{
    echo "date:     $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "commit:   $(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- Sources Benchmarks Package.swift || echo ' (with uncommitted changes)')"
    echo "cpu:      $(lscpu | sed -n 's/^Model name: *//p' | head -1) (family $(lscpu | sed -n 's/^CPU family: *//p'), model $(lscpu | sed -n 's/^Model: *//p')), $(nproc) CPUs, flags:$(grep -m1 -o -w -E 'sha_ni|avx2|bmi2' /proc/cpuinfo | sort -u | tr '\n' ' ' | sed 's/^/ /')"
    echo "kernel:   $(uname -sr)"
    echo "swift:    $(swift --version 2>&1 | head -1)"
    echo "openssl:  $(openssl version)"
    echo "load:     $(uptime | sed 's/.*load average: //')"
} | tee "$logs/environment.txt" >&2
busy=$(ps -eo comm= | grep -c -E '^(swift-frontend|swift-build|clang|ld|lld)' || true)
if ((busy > 0)); then
    say "warning: $busy compiler processes are running; figures will be noisy (best-of figures suffer least)"
fi

# ---------------------------------------------------------------------------------------------
# Release build
# ---------------------------------------------------------------------------------------------
say "== swift build -c release --product stowage"
(cd "$REPO" && swift build -c release --product stowage) >"$logs/build.log" 2>&1 || {
    tail -n 30 "$logs/build.log" >&2
    say "release build failed; if someone's edit is half-finished, run on a clean copy:"
    say "  git clone $REPO /tmp/bench-clone && REPO=/tmp/bench-clone $0"
    exit 1
}
stowage="$(cd "$REPO" && swift build -c release --show-bin-path)/stowage"
implementations=$("$stowage" digest --help >/dev/null 2>&1 && for impl in shani avx2 armv8 portable; do
    STOWAGE_SHA256=$impl "$stowage" digest - </dev/null >/dev/null 2>&1 && echo "$impl"
done | tr '\n' ' ')
say "stowage: $stowage (implementations on this CPU: $implementations)"

# ---------------------------------------------------------------------------------------------
# OpenSSL speed (run before and after the micro-benchmarks; both are reported)
# ---------------------------------------------------------------------------------------------
# Appends "label size bytes_per_second" lines to $logs/openssl.tsv.
openssl_speed() {
    local pass=$1 size out
    for size in "${SIZES[@]}"; do
        out=$(openssl speed -mr -evp sha256 -bytes "$size" -seconds "$OPENSSL_SECONDS" 2>/dev/null | sed -n 's/^+F:[0-9]*:[^:]*://p')
        echo "openssl $pass $size $out" >>"$logs/openssl.tsv"
        out=$(OPENSSL_ia32cap=$MASK openssl speed -mr -evp sha256 -bytes "$size" -seconds "$OPENSSL_SECONDS" 2>/dev/null | sed -n 's/^+F:[0-9]*:[^:]*://p')
        echo "masked $pass $size $out" >>"$logs/openssl.tsv"
    done
}
: >"$logs/openssl.tsv"
say "== openssl speed -evp sha256 (before)"
openssl_speed before

# ---------------------------------------------------------------------------------------------
# HashBenchmarks
# ---------------------------------------------------------------------------------------------
# Each iteration hashes 1 MiB, so ops/s = MiB/s. The throughput row lists p0 (best) to p100.
# Writes "implementation size best_MiBps median_MiBps mallocs_per_iteration" to micro.tsv.
parse_micro() {
    tr -d '\r' <"$1" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' | awk '
        /^### SHA-256 / { split($0, w, " "); impl = w[3]; size = w[4] " " w[5]; next }
        /^### / { impl = ""; next }
        impl != "" && /^\| Throughput/ { n = split($0, f, "|"); gsub(/ /, "", f[3]); gsub(/ /, "", f[5]); best = f[3]; median = f[5] }
        impl != "" && /^\| Malloc \(total\)/ { split($0, f, "|"); gsub(/ /, "", f[5]); mallocs = f[5] }
        impl != "" && /^\| Time/ { gsub(/ /, "_", size); print impl, size, best, median, mallocs; impl = "" }
    '
}
: >"$logs/micro.tsv"
if [[ $SKIP_MICRO != 1 ]]; then
    if [[ -e $REPO/Package.resolved ]]; then
        resolved_backup=$(mktemp /tmp/Package.resolved.XXXXXX)
        cp "$REPO/Package.resolved" "$resolved_backup"
    else
        resolved_backup=$(mktemp /tmp/Package.resolved.XXXXXX) # empty: remove afterwards
    fi
    for run in $(seq "$MICRO_RUNS"); do
        say "== HashBenchmarks run $run/$MICRO_RUNS"
        (cd "$REPO" && STOWAGE_BENCHMARKS=1 swift package --scratch-path .build-bench benchmark \
            --target HashBenchmarks --format markdown) >"$logs/micro-$run.md" 2>"$logs/micro-$run.err" || {
            tail -n 30 "$logs/micro-$run.err" >&2
            exit 1
        }
        parse_micro "$logs/micro-$run.md" | sed "s/^/$run /" >>"$logs/micro.tsv"
    done
fi

say "== openssl speed -evp sha256 (after)"
openssl_speed after

# ---------------------------------------------------------------------------------------------
# Whole process on a file in the page cache
# ---------------------------------------------------------------------------------------------
say "== ${FILE_MIB} MiB file in /dev/shm"
head -c "$((FILE_MIB << 20))" /dev/urandom >"$file"
file_bytes=$(stat -c %s "$file")

expected=$(openssl dgst -sha256 -r "$file" | cut -d' ' -f1)
for impl in $implementations; do
    got=$(STOWAGE_SHA256=$impl "$stowage" digest "$file" | sed -E 's/^sha256:([0-9a-f]+).*/\1/')
    [[ $got == "$expected" ]] || { say "MISMATCH: stowage ($impl) $got, openssl $expected"; exit 1; }
done

# Appends "label best_seconds median_seconds user_seconds system_seconds" (CPU times are means;
# "-" without hyperfine) to whole.tsv. CPU time suffers less than wall time on a busy machine.
: >"$logs/whole.tsv"
time_command() {
    local label=$1; shift
    if command -v hyperfine >/dev/null; then
        hyperfine --style none --warmup 1 --runs "$RUNS" --export-json "$logs/$label.json" "$*" >"$logs/$label.txt" 2>&1
        jq -r --arg l "$label" '.results[0] | "\($l) \(.min) \(.median) \(.user) \(.system)"' "$logs/$label.json" >>"$logs/whole.tsv"
    else
        local times=() start end
        bash -c "$*" >/dev/null
        for _ in $(seq "$RUNS"); do
            start=$(date +%s%N); bash -c "$*" >/dev/null; end=$(date +%s%N)
            times+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.6f", (b - a) / 1e9 }')")
        done
        printf '%s\n' "${times[@]}" | sort -g | awk -v l="$label" '{ t[NR] = $1 } END { print l, t[1], t[int((NR + 1) / 2)], "-", "-" }' >>"$logs/whole.tsv"
    fi
}
say "== whole process (hyperfine or best of $RUNS)"
time_command openssl "openssl dgst -sha256 $file"
time_command openssl-masked "OPENSSL_ia32cap='$MASK' openssl dgst -sha256 $file"
for impl in $implementations; do
    time_command "stowage-$impl" "STOWAGE_SHA256=$impl $stowage digest $file"
done
time_command openssl-again "openssl dgst -sha256 $file"
time_command openssl-masked-again "OPENSSL_ia32cap='$MASK' openssl dgst -sha256 $file"

# ---------------------------------------------------------------------------------------------
# Summary (MB = 10^6 bytes; HashBenchmarks' MiB/s are converted)
# ---------------------------------------------------------------------------------------------
best_openssl() { # label size -> best bytes/s over both passes
    awk -v l="$1" -v s="$2" '$1 == l && $3 == s && $4 > b { b = $4 } END { print b + 0 }' "$logs/openssl.tsv"
}
openssl_pass() { awk -v l="$1" -v p="$2" -v s="$3" '$1 == l && $2 == p && $3 == s { print $4 }' "$logs/openssl.tsv"; }

echo
echo "SHA-256 benchmark summary"
cat "$logs/environment.txt"
echo
echo "(b) openssl speed -evp sha256 -bytes N -seconds $OPENSSL_SECONDS, MB/s (before / after the micro-benchmarks)"
echo "    each figure hashes whole N-byte messages (init+update+final per message)"
printf '    %-9s %-22s %-22s\n' bytes openssl "masked ($MASK)"
for size in "${SIZES[@]}"; do
    printf '    %-9s %-22s %-22s\n' "$size" \
        "$(mbps "$(openssl_pass openssl before "$size")" 1) / $(mbps "$(openssl_pass openssl after "$size")" 1)" \
        "$(mbps "$(openssl_pass masked before "$size")" 1) / $(mbps "$(openssl_pass masked after "$size")" 1)"
done

if [[ -s $logs/micro.tsv ]]; then
    echo
    echo "(a) HashBenchmarks, MB/s best / median over $MICRO_RUNS runs (1 MiB per iteration), mallocs per iteration"
    echo "    ratios use the best figure and the best OpenSSL figure for the same size (64 KiB: -bytes 65536)"
    printf '    %-12s %-7s %-18s %-8s %-12s %-12s\n' impl update 'MB/s best/median' mallocs 'x openssl' 'x masked'
    for size in 64_B 4_KiB 64_KiB 1_MiB; do
        case $size in 64_B) bytes=64 ;; 4_KiB) bytes=4096 ;; 64_KiB) bytes=65536 ;; 1_MiB) bytes=1048576 ;; esac
        o=$(best_openssl openssl $bytes); m=$(best_openssl masked $bytes)
        for impl in $implementations swift-crypto; do
            rows=$(awk -v i="$impl" -v s="$size" '$2 == i && $3 == s' "$logs/micro.tsv")
            [[ -n $rows ]] || continue
            best=$(awk '$4 > b { b = $4 } END { printf "%.0f", b * 1.048576 }' <<<"$rows")
            median=$(awk '{ print $5 }' <<<"$rows" | sort -g | awk '{ m[NR] = $1 } END { printf "%.0f", m[int((NR + 1) / 2)] * 1.048576 }')
            mallocs=$(awk '{ print $6 }' <<<"$rows" | sort -u | tr '\n' ' ' | sed 's/ $//')
            printf '    %-12s %-7s %-18s %-8s %-12s %-12s\n' "$impl" "${size/_/ }" "$best / $median" "$mallocs" \
                "$(ratio "$((best * 1000000))" "$o")" "$(ratio "$((best * 1000000))" "$m")"
        done
    done
fi

echo
echo "(c) whole process, ${FILE_MIB} MiB file in /dev/shm, $RUNS runs after 1 warm-up: best (median) wall time and MB/s"
openssl_best=$(awk '$1 ~ /^openssl(-again)?$/ { if (b == "" || $2 < b) b = $2 } END { print b }' "$logs/whole.tsv")
masked_best=$(awk '$1 ~ /^openssl-masked(-again)?$/ { if (b == "" || $2 < b) b = $2 } END { print b }' "$logs/whole.tsv")
printf '    %-22s %-21s %-7s %-11s %-10s %s\n' command 'best (median) wall' 'MB/s' 'x openssl' 'x masked' 'user+sys CPU (mean)'
while read -r label best median user sys; do
    cpu=$([[ $user == - ]] && echo - || awk -v u="$user" -v s="$sys" -v b="$file_bytes" 'BEGIN { printf "%.3f s + %.3f s = %.0f MB/s", u, s, b / (u + s) / 1e6 }')
    printf '    %-22s %6.3f s (%6.3f s)   %-7s %-11s %-10s %s\n' "$label" "$best" "$median" \
        "$(mbps "$file_bytes" "$best")" "$(ratio "$openssl_best" "$best")" "$(ratio "$masked_best" "$best")" "$cpu"
done <"$logs/whole.tsv"
[[ -z ${KEEP_LOGS:-} ]] || echo "raw outputs: $logs"

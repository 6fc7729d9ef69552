#!/usr/bin/env bash
# Client instructions per GET request under callgrind: part (a)'s drivers (`bench-crate`,
# `bench-raw`) against the release mock, each run with N and 2N requests (25 warm-up); the
# difference divided by N is the per-request cost (start-up and warm-up cancel out).
#
#   cargo build --release --example bench-crate --example bench-raw -p cloudflare-ssl
#   cargo build --release -p cloudflare-ssl-mock
#   benches/callgrind.sh [N]          # default N = 250; needs valgrind, curl, jq
#
# Instruction counts do not depend on the machine's load; the mock runs on CPU 0, the driver
# on CPU 1 when `taskset` is there. Writes callgrind.out.* files to a temporary directory
# (printed) for `callgrind_annotate --inclusive=yes`.
set -eu
release=${CARGO_TARGET_DIR:-target}/release
n=${1:-250}
out=$(mktemp -d)
cpu() { if command -v taskset >/dev/null; then echo "taskset -c $1"; fi; }

$(cpu 0) "$release/cloudflare-ssl-mock" --port 0 --no-rate-limit --manual-clock --packs 1999 \
    >"$out/mock.log" 2>&1 &
mock=$!
trap 'kill $mock' EXIT
while ! grep -qs 'Press Ctrl-C' "$out/mock.log"; do sleep 0.2; done
value() { sed -n "s/^ *$1=//p" "$out/mock.log"; }
base=$(value CLOUDFLARE_BASE_URL)
token=$(value CLOUDFLARE_API_TOKEN)
zone=$(value CLOUDFLARE_ZONE_ID)
pack=$(curl -s -H "authorization: Bearer $token" \
    "$base/zones/$zone/ssl/certificate_packs?per_page=5" | jq -r '.result[1].id')

ir() { sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out/$1.log"; }
# The crate, the floor with the crate's typed decoding (the comparison), the floor with `Value`.
for run in "bench-crate" "bench-raw --decode typed" "bench-raw"; do
    set -- $run
    name=${run// /_}
    for count in "$n" "$((2 * n))"; do
        $(cpu 1) valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out.$name.$count" \
            "$release/examples/$1" get "${@:2}" --base-url "$base" --token "$token" \
            --zone "$zone" --pack "$pack" --n "$count" --warmup 25 >/dev/null 2>"$out/$name.$count.log"
    done
    small=$(ir "$name.$n")
    large=$(ir "$name.$((2 * n))")
    echo "$run: $(((large - small) / n)) instructions per request ($small for $n, $large for $((2 * n)))"
done
echo "callgrind files in $out"

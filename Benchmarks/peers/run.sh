#!/usr/bin/env bash
# Peer comparison: trades of 20 markets from the mock exchange's Upbit dialect (replay mode, as fast
# as each client drains it), counted where each library hands them to user code, for SECONDS after
# a 3-second warm-up. Each client runs alone against its own server.
#
#   bash Benchmarks/peers/run.sh [SECONDS]
#   SOURCE=flood bash Benchmarks/peers/run.sh [SECONDS]
#
# SOURCE=flood streams from `EndToEnd flood-server` instead: one pre-encoded KRW-BTC trade frame
# written as fast as the socket takes it, so the source is never the ceiling (the mock still
# answers the REST market list the clients load first, on the next port).
#
# Creates a Python virtual environment here (.venv) with ccxt and cryptofeed from PyPI.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_PER_RUN="${1:-10}"
PORT="${PORT:-18790}"

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
    .venv/bin/pip install -q "ccxt==4.5.90" "cryptofeed==2.4.1"
fi
(cd .. && swift build -c release --product MockThroughput --product EndToEnd >/dev/null)
# The flood source reads the shared trade sample.
export MARKETSTREAM_SAMPLES="${MARKETSTREAM_SAMPLES:-$(cd ../../../shared/upbit/samples && pwd)}"
BIN="../.build/release"

run() {  # name, command...
    local rest_port=$PORT servers=()
    if [ "${SOURCE:-mock}" = flood ]; then
        rest_port=$((PORT + 1))
        "$BIN/EndToEnd" flood-server "$PORT" >/dev/null &
        servers+=($!)
    fi
    "$BIN/MockThroughput" serve "$rest_port" 20 >/dev/null &
    servers+=($!)
    sleep 2
    local markets
    markets=$(curl -s "http://127.0.0.1:$rest_port/v1/market/all" | .venv/bin/python -c \
        "import json,sys; print(' '.join(m['market'] for m in json.load(sys.stdin)))")
    # shellcheck disable=SC2086
    "$@" "ws://127.0.0.1:$PORT" "http://127.0.0.1:$rest_port" "$SECONDS_PER_RUN" $markets | tail -1
    for server in "${servers[@]}"; do
        kill -9 "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    done
}

endtoend() { local ws=$1; shift; shift; "$BIN/EndToEnd" client "$ws" "$@"; }
endtoend_simple() { FORMAT=SIMPLE endtoend "$@"; }
endtoend_loop() { SUBSCRIBER=loop endtoend "$@"; }

results=$(
    {
        run endtoend | sed 's/^marketstream/marketstream(DEFAULT)/'
        run endtoend_simple | sed 's/^marketstream/marketstream(SIMPLE)/'
        run endtoend_loop | sed 's/^marketstream/marketstream(loop)/'
        run .venv/bin/python ccxt_upbit.py
        run .venv/bin/python cryptofeed_upbit.py
    }
)
echo "$results" | awk '
    { rate[$1] = $2 / $3; order[NR] = $1 }
    END {
        printf "%-22s %14s %12s %14s\n", "client", "trades/s", "vs ccxt", "vs cryptofeed"
        for (i = 1; i <= NR; i++) {
            name = order[i]
            printf "%-22s %14.0f %11.2fx %13.2fx\n", name, rate[name], rate[name] / rate["ccxt"], rate[name] / rate["cryptofeed"]
        }
    }'

"""Counts trades ccxt's Upbit WebSocket client hands to user code, against the mock exchange.

usage: ccxt_upbit.py WS_BASE REST_BASE SECONDS MARKET...
Prints one line: `ccxt <events> <seconds>` (after a 3-second warm-up).
"""
import asyncio
import sys
import time

import ccxt.pro


async def main() -> None:
    ws_base, rest_base, seconds, markets = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4:]
    exchange = ccxt.pro.upbit({"newUpdates": True})
    exchange.urls["api"] = {"public": rest_base, "private": rest_base, "ws": ws_base + "/websocket/v1"}
    symbols = [f"{code.split('-')[1]}/{code.split('-')[0]}" for code in markets]
    try:
        warm_until = time.monotonic() + 3
        while time.monotonic() < warm_until:
            await exchange.watch_trades_for_symbols(symbols)
        events = 0
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            trades = await exchange.watch_trades_for_symbols(symbols)
            events += len(trades)
        print(f"ccxt {events} {time.monotonic() - start:.3f}")
    finally:
        await exchange.close()


asyncio.run(main())

"""Counts trades cryptofeed's Upbit feed hands to its user callback, against the mock exchange.

usage: cryptofeed_upbit.py WS_BASE REST_BASE SECONDS MARKET...
Prints one line: `cryptofeed <events> <seconds>` (after a 3-second warm-up).
"""
import asyncio
import sys
import time

from cryptofeed import FeedHandler, connection
from cryptofeed.connection import RestEndpoint, Routes, WebsocketEndpoint
from cryptofeed.defines import TRADES
from cryptofeed.exchanges import Upbit

ws_base, rest_base, seconds, markets = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4:]

# cryptofeed accepts only wss:// addresses; lift that check so it reaches the loopback mock over
# ws://, as the other clients do (no TLS for anyone).
_original_init = connection.WSAsyncConn.__init__


def _plain_init(self, address, *args, **kwargs):
    _original_init(self, "wss://" + address.split("://", 1)[1], *args, **kwargs)
    self.address = address


connection.WSAsyncConn.__init__ = _plain_init
Upbit.websocket_endpoints = [WebsocketEndpoint(ws_base + "/websocket/v1")]
Upbit.rest_endpoints = [RestEndpoint(rest_base, routes=Routes("/v1/market/all"))]

state = {"count": 0, "start": None}
warm_until = time.monotonic() + 3


async def on_trade(trade, receipt_timestamp):
    now = time.monotonic()
    if now < warm_until:
        return
    if state["start"] is None:
        state["start"] = now
    state["count"] += 1


symbols = [f"{code.split('-')[1]}-{code.split('-')[0]}" for code in markets]
handler = FeedHandler(config={"log": {"disabled": True}, "uvloop": False})
handler.add_feed(Upbit(symbols=symbols, channels=[TRADES], callbacks={TRADES: on_trade}))
loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
handler.run(start_loop=False, install_signal_handlers=False)
loop.run_until_complete(asyncio.sleep(3 + seconds))
elapsed = time.monotonic() - state["start"] if state["start"] else 0.0
print(f"cryptofeed {state['count']} {elapsed:.3f}")

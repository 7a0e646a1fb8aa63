import MarketStreamCore
import Synchronization
import UpbitExchange

/// Upbit's module with the socket taken away, for the gateway under load: the gateway's router
/// connects to it as usual, and the benchmark hands Upbit frames straight to that connection's
/// handler (decode, tap, publish), as a socket read would.
struct PumpVenue: OverwriteSubscriptionManager {
    let upbit: UpbitExchange
    private let box = HandlerBox()

    init(upbit: UpbitExchange) { self.upbit = upbit }

    var exchange: ExchangeID { upbit.exchange }
    var channels: [ExchangeChannel] { upbit.channels.filter { $0.id == .public } }
    var connectLimit: RateLimit { upbit.connectLimit }

    /// The open connection's handler and how many topics its last request held.
    var handler: (any ConnectionHandler)? { box.state.withLock { $0.handler } }
    var upstreamCount: Int { box.state.withLock { $0.upstream } }

    func connect(to channel: ChannelID, handler: any ConnectionHandler) async throws {
        box.state.withLock { $0.handler = handler }
        try await handler.run(outbound: Outbound(box: box))
    }

    func decode(_ frame: WebSocketMessage, context: DecodeContext, into output: inout DecodedFrame)
        throws(MarketStreamError)
    {
        try upbit.decode(frame, context: context, into: &output)
    }

    func forwardedTopic(of frame: WebSocketMessage, exchange: ExchangeID) -> SubscriptionTopic? {
        upbit.forwardedTopic(of: frame, exchange: exchange)
    }

    func overwriteMessage(for request: SubscriptionRequest) throws(MarketStreamError) -> OutboundMessage? {
        box.state.withLock { $0.upstream = request.desired.count }
        return try upbit.overwriteMessage(for: request)
    }

    private final class HandlerBox: Sendable {
        let state = Mutex<(handler: (any ConnectionHandler)?, upstream: Int)>((nil, 0))
    }

    private struct Outbound: WebSocketOutbound {
        let box: HandlerBox
        func send(_ message: OutboundMessage) async throws {}
        func sendPing() async throws {}
    }
}

/// Upbit's DEFAULT ticker frame for `market` (the documented sample, 920 bytes).
func tickerFrame(_ market: String) -> WebSocketMessage {
    .binary(
        Array(
            #"{"type":"ticker","code":"\#(market)","opening_price":116012000.0,"high_price":116890000.0,"low_price":115720000.0,"trade_price":116539000.0,"prev_closing_price":116012000.0,"change":"RISE","change_price":527000.0,"signed_change_price":527000.0,"change_rate":0.0045426335,"signed_change_rate":0.0045426335,"trade_volume":0.00214535,"acc_trade_volume":812.43190275,"acc_trade_volume_24h":2291.60215533,"acc_trade_price":94512348712.18833,"acc_trade_price_24h":266503719023.55716,"trade_date":"20260923","trade_time":"033902","trade_timestamp":1790134742051,"ask_bid":"BID","acc_ask_volume":401.10324871,"acc_bid_volume":411.32865404,"highest_52_week_price":179750000.0,"highest_52_week_date":"2025-10-06","lowest_52_week_price":104200000.0,"lowest_52_week_date":"2026-06-02","market_state":"ACTIVE","is_trading_suspended":false,"delisting_date":null,"market_warning":"NONE","timestamp":1790134742106,"stream_type":"REALTIME"}"#
                .utf8))
}

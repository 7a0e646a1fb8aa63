/// Every field of Upbit's WebSocket frames, with its DEFAULT and SIMPLE key per data type.
enum UpbitField: Int, CaseIterable {
    case type, code, timestamp, streamType
    case openingPrice, highPrice, lowPrice, tradePrice, prevClosingPrice, change, changePrice, signedChangePrice
    case changeRate, signedChangeRate, tradeVolume, accTradeVolume, accTradeVolume24h, accTradePrice
    case accTradePrice24h, tradeDate, tradeTime, tradeTimestamp, askBid, accAskVolume, accBidVolume
    case highest52WeekPrice, highest52WeekDate, lowest52WeekPrice, lowest52WeekDate, marketState
    case isTradingSuspended, delistingDate, marketWarning
    case sequentialID, bestAskPrice, bestAskSize, bestBidPrice, bestBidSize
    case totalAskSize, totalBidSize, orderbookUnits, level
    case candleDateTimeUTC, candleDateTimeKST, candleAccTradeVolume, candleAccTradePrice
    case uuid, orderType, state, tradeUUID, price, avgPrice, volume, remainingVolume, executedVolume, tradesCount
    case reservedFee, remainingFee, paidFee, locked, executedFunds, timeInForce, tradeFee, isMaker, identifier
    case smpType, preventedVolume, preventedLocked, orderTimestamp
    case assetUUID, assets, assetTimestamp
    // Nested objects.
    case askPrice, bidPrice, askSize, bidSize
    case currency, balance
    // Non-data frames.
    case status, error, method
}

/// Maps key bytes to fields for one data type and key style, by a 64-bit hash of the key checked
/// against the key's bytes: an open-addressing table (no `Hasher`, no allocation per lookup).
struct UpbitKeyTable: Sendable {
    private var fields: [UpbitField?]
    private var hashes: [UInt64]
    private var keyStarts: [Int]
    private var keyLengths: [Int]
    private var keyBytes: [UInt8] = []
    private let mask: Int

    init(_ pairs: [(UpbitField, String)]) {
        var size = 16
        while size < pairs.count * 4 { size *= 2 }
        mask = size - 1
        fields = Array(repeating: nil, count: size)
        hashes = Array(repeating: 0, count: size)
        keyStarts = Array(repeating: 0, count: size)
        keyLengths = Array(repeating: 0, count: size)
        for (field, key) in pairs {
            let bytes = Array(key.utf8)
            let hash = bytes.withUnsafeBufferPointer { Self.hash($0, 0..<$0.count) }
            var slot = Int(truncatingIfNeeded: hash) & mask
            while fields[slot] != nil {
                precondition(hashes[slot] != hash, "hash collision in an Upbit key table: \(key)")
                slot = (slot + 1) & mask
            }
            fields[slot] = field
            hashes[slot] = hash
            keyStarts[slot] = keyBytes.count
            keyLengths[slot] = bytes.count
            keyBytes += bytes
        }
    }

    static func hash(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for index in range {
            hash ^= UInt64(bytes[index])
            hash &*= 0x100_0000_01b3
        }
        return hash
    }

    func field(hash: UInt64, key range: Range<Int>, in bytes: UnsafeBufferPointer<UInt8>) -> UpbitField? {
        var slot = Int(truncatingIfNeeded: hash) & mask
        while let field = fields[slot] {
            if hashes[slot] == hash {
                guard keyLengths[slot] == range.count else { return nil }
                let start = keyStarts[slot]
                for offset in 0..<range.count where keyBytes[start + offset] != bytes[range.lowerBound + offset] {
                    return nil
                }
                return field
            }
            slot = (slot + 1) & mask
        }
        return nil
    }
}

/// The key tables of every data type in both key styles.
struct UpbitKeyTables: Sendable {
    let ticker: (full: UpbitKeyTable, simple: UpbitKeyTable)
    let trade: (full: UpbitKeyTable, simple: UpbitKeyTable)
    let orderbook: (full: UpbitKeyTable, simple: UpbitKeyTable)
    let orderbookUnit: (full: UpbitKeyTable, simple: UpbitKeyTable)
    let candle: (full: UpbitKeyTable, simple: UpbitKeyTable)
    let myOrder: (full: UpbitKeyTable, simple: UpbitKeyTable)
    let myAsset: (full: UpbitKeyTable, simple: UpbitKeyTable)
    let asset: (full: UpbitKeyTable, simple: UpbitKeyTable)

    static let shared = UpbitKeyTables()

    private static func pair(_ fields: [(UpbitField, String, String)]) -> (full: UpbitKeyTable, simple: UpbitKeyTable) {
        (UpbitKeyTable(fields.map { ($0.0, $0.1) }), UpbitKeyTable(fields.map { ($0.0, $0.2) }))
    }

    private static let common: [(UpbitField, String, String)] = [
        (.type, "type", "ty"), (.code, "code", "cd"), (.timestamp, "timestamp", "tms"),
        (.streamType, "stream_type", "st"),
    ]

    private init() {
        ticker = Self.pair(
            Self.common + [
                (.openingPrice, "opening_price", "op"), (.highPrice, "high_price", "hp"),
                (.lowPrice, "low_price", "lp"),
                (.tradePrice, "trade_price", "tp"), (.prevClosingPrice, "prev_closing_price", "pcp"),
                (.change, "change", "c"), (.changePrice, "change_price", "cp"),
                (.signedChangePrice, "signed_change_price", "scp"), (.changeRate, "change_rate", "cr"),
                (.signedChangeRate, "signed_change_rate", "scr"), (.tradeVolume, "trade_volume", "tv"),
                (.accTradeVolume, "acc_trade_volume", "atv"), (.accTradeVolume24h, "acc_trade_volume_24h", "atv24h"),
                (.accTradePrice, "acc_trade_price", "atp"), (.accTradePrice24h, "acc_trade_price_24h", "atp24h"),
                (.tradeDate, "trade_date", "tdt"), (.tradeTime, "trade_time", "ttm"),
                (.tradeTimestamp, "trade_timestamp", "ttms"), (.askBid, "ask_bid", "ab"),
                (.accAskVolume, "acc_ask_volume", "aav"), (.accBidVolume, "acc_bid_volume", "abv"),
                (.highest52WeekPrice, "highest_52_week_price", "h52wp"),
                (.highest52WeekDate, "highest_52_week_date", "h52wdt"),
                (.lowest52WeekPrice, "lowest_52_week_price", "l52wp"),
                (.lowest52WeekDate, "lowest_52_week_date", "l52wdt"),
                (.marketState, "market_state", "ms"), (.isTradingSuspended, "is_trading_suspended", "its"),
                (.delistingDate, "delisting_date", "dd"), (.marketWarning, "market_warning", "mw"),
            ])
        trade = Self.pair(
            Self.common + [
                (.tradeDate, "trade_date", "td"), (.tradeTime, "trade_time", "ttm"),
                (.tradeTimestamp, "trade_timestamp", "ttms"), (.tradePrice, "trade_price", "tp"),
                (.tradeVolume, "trade_volume", "tv"), (.askBid, "ask_bid", "ab"),
                (.prevClosingPrice, "prev_closing_price", "pcp"), (.change, "change", "c"),
                (.changePrice, "change_price", "cp"), (.sequentialID, "sequential_id", "sid"),
                (.bestAskPrice, "best_ask_price", "bap"), (.bestAskSize, "best_ask_size", "bas"),
                (.bestBidPrice, "best_bid_price", "bbp"), (.bestBidSize, "best_bid_size", "bbs"),
            ])
        orderbook = Self.pair(
            Self.common + [
                (.totalAskSize, "total_ask_size", "tas"), (.totalBidSize, "total_bid_size", "tbs"),
                (.orderbookUnits, "orderbook_units", "obu"), (.level, "level", "lv"),
            ])
        orderbookUnit = Self.pair([
            (.askPrice, "ask_price", "ap"), (.bidPrice, "bid_price", "bp"), (.askSize, "ask_size", "as"),
            (.bidSize, "bid_size", "bs"),
        ])
        candle = Self.pair(
            Self.common + [
                (.candleDateTimeUTC, "candle_date_time_utc", "cdttmu"),
                (.candleDateTimeKST, "candle_date_time_kst", "cdttmk"),
                (.openingPrice, "opening_price", "op"), (.highPrice, "high_price", "hp"),
                (.lowPrice, "low_price", "lp"),
                (.tradePrice, "trade_price", "tp"), (.candleAccTradeVolume, "candle_acc_trade_volume", "catv"),
                (.candleAccTradePrice, "candle_acc_trade_price", "catp"),
            ])
        myOrder = Self.pair(
            Self.common + [
                (.uuid, "uuid", "uid"), (.askBid, "ask_bid", "ab"), (.orderType, "order_type", "ot"),
                (.state, "state", "s"), (.tradeUUID, "trade_uuid", "tuid"), (.price, "price", "p"),
                (.avgPrice, "avg_price", "ap"), (.volume, "volume", "v"), (.remainingVolume, "remaining_volume", "rv"),
                (.executedVolume, "executed_volume", "ev"), (.tradesCount, "trades_count", "tc"),
                (.reservedFee, "reserved_fee", "rsf"), (.remainingFee, "remaining_fee", "rmf"),
                (.paidFee, "paid_fee", "pf"), (.locked, "locked", "l"), (.executedFunds, "executed_funds", "ef"),
                (.timeInForce, "time_in_force", "tif"), (.tradeFee, "trade_fee", "tf"), (.isMaker, "is_maker", "im"),
                (.identifier, "identifier", "id"), (.smpType, "smp_type", "smpt"),
                (.preventedVolume, "prevented_volume", "pv"), (.preventedLocked, "prevented_locked", "pl"),
                (.tradeTimestamp, "trade_timestamp", "ttms"), (.orderTimestamp, "order_timestamp", "otms"),
            ])
        myAsset = Self.pair(
            [(.type, "type", "ty"), (.timestamp, "timestamp", "tms"), (.streamType, "stream_type", "st")] + [
                (.assetUUID, "asset_uuid", "astuid"), (.assets, "assets", "ast"),
                (.assetTimestamp, "asset_timestamp", "asttms"),
            ])
        asset = Self.pair([(.currency, "currency", "cu"), (.balance, "balance", "b"), (.locked, "locked", "l")])
    }
}

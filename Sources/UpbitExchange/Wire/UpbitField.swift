#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
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

    /// How many fields there are (`allCases` builds an array each time it is read).
    static let count = allCases.count
}

/// Maps key bytes to fields for one data type and key style, by a 64-bit hash of the key checked
/// against the key's bytes: an open-addressing table (no `Hasher`, no allocation per lookup).
///
/// Its arrays are built once per process into memory that is never freed (every table lives as
/// long as the process: ``UpbitKeyTables/shared``), so a table is a value of plain pointers:
/// handing it to the decoder's functions retains nothing. A retain per frame of an object every
/// decoding thread shares would be an atomic write to one cache line from all of them.
struct UpbitKeyTable: @unchecked Sendable {
    /// A key of the table, in wire order.
    private struct Key: Sendable {
        var field: UpbitField
        var length: Int
        /// The key's first and last eight bytes (or all of a shorter key, zero-padded): for keys of
        /// up to 16 bytes, equal words and length mean equal keys, with no `memcmp`.
        var first: UInt64
        var last: UInt64
        /// Where the key's bytes start in `keyBytes` (compared for keys longer than 16 bytes).
        var start: Int
        /// The member's prefix as written, `"key":`, in words (`patternWords[patternStart...]`):
        /// the whole words, then the last eight bytes (overlapping); a prefix shorter than a word
        /// is one word, zero-padded, compared under `shortMask`.
        var patternLength: Int
        var patternStart: Int
        var shortMask: UInt64
    }

    /// An open-addressing slot: a key's hash and its index in `keys`, or -1 when empty.
    private struct Slot: Sendable {
        var hash: UInt64 = 0
        var key = -1
    }

    /// The keys in the order Upbit writes them: the order the decoder predicts.
    private let keys: UnsafeBufferPointer<Key>
    private let slots: UnsafeBufferPointer<Slot>
    private let keyBytes: UnsafeBufferPointer<UInt8>
    private let patternWords: UnsafeBufferPointer<UInt64>
    private let mask: Int
    /// Each field's index in `keys` (by raw value), or -1.
    private let keyIndex: UnsafeBufferPointer<Int>

    /// Builds a table into memory that is never freed: only ``UpbitKeyTables``, once per process.
    fileprivate init(_ pairs: [(UpbitField, String)]) {
        var size = 16
        while size < pairs.count * 4 { size *= 2 }
        let mask = size - 1
        var slots = Array(repeating: Slot(), count: size)
        var keyIndex = Array(repeating: -1, count: UpbitField.count)
        var keys: [Key] = []
        var keyBytes: [UInt8] = []
        var patternWords: [UInt64] = []
        for (field, text) in pairs {
            let bytes = Array(text.utf8)
            let (first, last) = bytes.withUnsafeBufferPointer {
                (Self.firstWord($0, 0..<$0.count), Self.lastWord($0, 0..<$0.count))
            }
            let hash = Self.hash(count: bytes.count, first: first, last: last)
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot].key >= 0 {
                precondition(slots[slot].hash != hash, "hash collision in an Upbit key table: \(text)")
                slot = (slot + 1) & mask
            }
            slots[slot] = Slot(hash: hash, key: keys.count)
            // A field's first key sets the prediction; a later alias only adds a spelling.
            if keyIndex[field.rawValue] < 0 { keyIndex[field.rawValue] = keys.count }
            let pattern = [UInt8(ascii: "\"")] + bytes + [UInt8(ascii: "\""), UInt8(ascii: ":")]
            let patternStart = patternWords.count
            patternWords += Self.words(of: pattern)
            keys.append(
                Key(
                    field: field, length: bytes.count, first: first, last: last, start: keyBytes.count,
                    patternLength: pattern.count, patternStart: patternStart,
                    shortMask: pattern.count >= 8 ? ~0 : (1 << (8 * UInt64(pattern.count))) - 1))
            keyBytes += bytes
        }
        self.keys = Self.forever(keys)
        self.slots = Self.forever(slots)
        self.keyBytes = Self.forever(keyBytes)
        self.patternWords = Self.forever(patternWords)
        self.mask = mask
        self.keyIndex = Self.forever(keyIndex)
    }

    /// A copy of `array` in memory that is never freed.
    private static func forever<Element>(_ array: [Element]) -> UnsafeBufferPointer<Element> {
        let copy = UnsafeMutableBufferPointer<Element>.allocate(capacity: max(array.count, 1))
        _ = copy.initialize(from: array)
        return UnsafeBufferPointer(rebasing: copy[..<array.count])
    }

    /// Calls `body` with each of the table's fields.
    @inline(__always)
    func forEachField(_ body: (UpbitField) -> Void) {
        for key in keys { body(key.field) }
    }

    /// The position in wire order after `field`'s key: where the next key is predicted.
    @inline(__always)
    func predictionIndex(after field: UpbitField) -> Int { keyIndex[field.rawValue] + 1 }

    /// When the member at `position` starts with the key at `index` in wire order (`"key":`,
    /// no whitespace): that key's field and the position just past its colon. A prediction costs a
    /// few word comparisons: no hashing and no byte loop.
    @inline(__always)
    func predicted(_ index: Int, at position: Int, in bytes: UnsafeBufferPointer<UInt8>) -> (UpbitField, Int)? {
        guard index < keys.count, let start = bytes.baseAddress else { return nil }
        let key = keys[index]
        let length = key.patternLength
        let base = UnsafeRawPointer(start + position)
        let words = patternWords
        if length < 8 {
            guard position + 8 <= bytes.count,
                base.loadUnaligned(as: UInt64.self) & key.shortMask == words[key.patternStart]
            else { return nil }
        } else {
            guard position + length <= bytes.count else { return nil }
            var offset = 0
            var word = key.patternStart
            while offset + 8 < length {
                guard base.loadUnaligned(fromByteOffset: offset, as: UInt64.self) == words[word] else {
                    return nil
                }
                offset += 8
                word += 1
            }
            guard base.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self) == words[word] else {
                return nil
            }
        }
        return (key.field, position + length)
    }

    /// `pattern` as `predicted` compares it: its whole words, then its last eight bytes; or, when
    /// shorter than a word, one word, zero-padded.
    private static func words(of pattern: [UInt8]) -> [UInt64] {
        pattern.withUnsafeBufferPointer { bytes in
            guard bytes.count >= 8 else { return [firstWord(bytes, 0..<bytes.count)] }
            var words: [UInt64] = []
            var offset = 0
            while offset + 8 < bytes.count {
                words.append(UnsafeRawPointer(bytes.baseAddress! + offset).loadUnaligned(as: UInt64.self))
                offset += 8
            }
            words.append(lastWord(bytes, 0..<bytes.count))
            return words
        }
    }

    /// The field named by the key at `range`, or `nil` for a key this table does not know.
    @inline(__always)
    func field(key range: Range<Int>, in bytes: UnsafeBufferPointer<UInt8>) -> UpbitField? {
        let first = Self.firstWord(bytes, range)
        let last = Self.lastWord(bytes, range)
        let hash = Self.hash(count: range.count, first: first, last: last)
        var index = Int(truncatingIfNeeded: hash) & mask
        while slots[index].key >= 0 {
            if slots[index].hash == hash {
                let key = keys[slots[index].key]
                return matches(key, first, last, range, bytes) ? key.field : nil
            }
            index = (index + 1) & mask
        }
        return nil
    }

    /// Whether the bytes at `range`, whose first and last words are given, spell `key`.
    @inline(__always)
    private func matches(
        _ key: Key, _ first: UInt64, _ last: UInt64, _ range: Range<Int>, _ bytes: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        guard key.length == range.count, key.first == first, key.last == last else { return false }
        if key.length <= 16 { return true }
        return memcmp(keyBytes.baseAddress! + key.start, bytes.baseAddress! + range.lowerBound, key.length) == 0
    }

    /// The first eight bytes of a key, or all of a shorter one, zero-padded.
    @inline(__always)
    static func firstWord(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt64 {
        let count = range.count
        guard count > 0, let start = bytes.baseAddress else { return 0 }
        let base = UnsafeRawPointer(start + range.lowerBound)
        if count >= 8 { return base.loadUnaligned(as: UInt64.self) }
        var word: UInt64 = 0
        for offset in 0..<count {
            word |= UInt64(base.load(fromByteOffset: offset, as: UInt8.self)) << (8 * offset)
        }
        return word
    }

    /// The last eight bytes of a key of at least eight bytes; zero for a shorter one.
    @inline(__always)
    static func lastWord(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt64 {
        let count = range.count
        guard count >= 8, let start = bytes.baseAddress else { return 0 }
        return UnsafeRawPointer(start + range.lowerBound).loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
    }

    /// A hash of a key from its length and its first and last eight bytes (no loop over the
    /// bytes): distinct for every key of the tables (checked when a table is built), and a match is
    /// always confirmed against the key.
    @inline(__always)
    static func hash(count: Int, first: UInt64, last: UInt64) -> UInt64 {
        var hash = UInt64(truncatingIfNeeded: count) &* 0x9E37_79B9_7F4A_7C15
        hash ^= first &* 0xFF51_AFD7_ED55_8CCD
        if count >= 8 { hash = (hash << 31 | hash >> 33) ^ (last &* 0xC4CE_B9FE_1A85_EC53) }
        return hash ^ (hash >> 29)
    }
}

/// The key tables of every data type in both key styles (one shared instance).
final class UpbitKeyTables: Sendable {
    let ticker: (full: UpbitKeyTable, simple: UpbitKeyTable)
    let trade: (full: UpbitKeyTable, simple: UpbitKeyTable)
    let orderbook: (full: UpbitKeyTable, simple: UpbitKeyTable)
    let orderbookUnit: (full: UpbitKeyTable, simple: UpbitKeyTable)
    let candle: (full: UpbitKeyTable, simple: UpbitKeyTable)
    let myOrder: (full: UpbitKeyTable, simple: UpbitKeyTable)
    let myAsset: (full: UpbitKeyTable, simple: UpbitKeyTable)
    let asset: (full: UpbitKeyTable, simple: UpbitKeyTable)

    static let shared = UpbitKeyTables()

    /// The DEFAULT (or SIMPLE) table of a frame's payload family.
    @inline(__always)
    func table(for type: UpbitFrameDecoder.FrameType, simple: Bool) -> UpbitKeyTable {
        let pair =
            switch type {
            case .ticker: ticker
            case .trade: trade
            case .orderbook: orderbook
            case .candle: candle
            case .myOrder: myOrder
            case .myAsset: myAsset
            }
        return simple ? pair.simple : pair.full
    }

    /// The DEFAULT and SIMPLE tables of one data type; the aliases are further spellings
    /// (Bithumb's), read but never predicted.
    private static func pair(
        _ fields: [(UpbitField, String, String)], fullAliases: [(UpbitField, String)] = [],
        simpleAliases: [(UpbitField, String)] = []
    ) -> (full: UpbitKeyTable, simple: UpbitKeyTable) {
        (
            UpbitKeyTable(fields.map { ($0.0, $0.1) } + fullAliases),
            UpbitKeyTable(fields.map { ($0.0, $0.2) } + simpleAliases)
        )
    }

    // Each table lists its keys in the order Upbit writes them (see shared/upbit/samples), which
    // is the order the decoder predicts; any other order still decodes, a little slower.
    private static let head: [(UpbitField, String, String)] = [(.type, "type", "ty"), (.code, "code", "cd")]
    private static let timestamp: (UpbitField, String, String) = (.timestamp, "timestamp", "tms")
    private static let streamType: (UpbitField, String, String) = (.streamType, "stream_type", "st")
    /// Bithumb's `myOrder` v2 names (DEFAULT; its SIMPLE names are not documented beyond `oid`):
    /// read into Upbit's fields, with the trade's own price and quantity beside the order's.
    private static let bithumbOrderFields: [(UpbitField, String)] = [
        (.uuid, "order_id"), (.tradeUUID, "trade_id"), (.askBid, "side"), (.price, "order_price"),
        (.tradePrice, "trade_price"), (.volume, "order_quantity"), (.tradeVolume, "trade_quantity"),
        (.executedFunds, "executed_amount"),
    ]

    private init() {
        // Every decoder reads its tables first: the place to check, once per process, that each
        // field has a slot (one past the end would be written unchecked).
        precondition(
            UpbitField.count <= UpbitFrameDecoder.slotCapacity,
            "UpbitField has more cases than the decoder's slots hold")
        ticker = Self.pair(
            Self.head + [
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
                Self.timestamp, Self.streamType,
            ])
        trade = Self.pair(
            Self.head + [
                Self.timestamp,
                (.tradeDate, "trade_date", "td"), (.tradeTime, "trade_time", "ttm"),
                (.tradeTimestamp, "trade_timestamp", "ttms"), (.tradePrice, "trade_price", "tp"),
                (.tradeVolume, "trade_volume", "tv"), (.askBid, "ask_bid", "ab"),
                (.prevClosingPrice, "prev_closing_price", "pcp"), (.change, "change", "c"),
                (.changePrice, "change_price", "cp"), (.sequentialID, "sequential_id", "sid"),
                (.bestAskPrice, "best_ask_price", "bap"), (.bestAskSize, "best_ask_size", "bas"),
                (.bestBidPrice, "best_bid_price", "bbp"), (.bestBidSize, "best_bid_size", "bbs"),
                Self.streamType,
            ],
            // Bithumb's trade spells trade_date `tdt` in SIMPLE, as Upbit's ticker does.
            simpleAliases: [(.tradeDate, "tdt")])
        orderbook = Self.pair(
            Self.head + [
                Self.timestamp, (.totalAskSize, "total_ask_size", "tas"), (.totalBidSize, "total_bid_size", "tbs"),
                (.orderbookUnits, "orderbook_units", "obu"), Self.streamType, (.level, "level", "lv"),
            ])
        orderbookUnit = Self.pair([
            (.askPrice, "ask_price", "ap"), (.bidPrice, "bid_price", "bp"), (.askSize, "ask_size", "as"),
            (.bidSize, "bid_size", "bs"),
        ])
        candle = Self.pair(
            Self.head + [
                (.candleDateTimeUTC, "candle_date_time_utc", "cdttmu"),
                (.candleDateTimeKST, "candle_date_time_kst", "cdttmk"),
                (.openingPrice, "opening_price", "op"), (.highPrice, "high_price", "hp"),
                (.lowPrice, "low_price", "lp"),
                (.tradePrice, "trade_price", "tp"), (.candleAccTradeVolume, "candle_acc_trade_volume", "catv"),
                (.candleAccTradePrice, "candle_acc_trade_price", "catp"), Self.timestamp, Self.streamType,
            ])
        myOrder = Self.pair(
            Self.head + [
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
                Self.timestamp, Self.streamType,
            ], fullAliases: Self.bithumbOrderFields, simpleAliases: [(.uuid, "oid")])
        myAsset = Self.pair([
            (.type, "type", "ty"), (.assetUUID, "asset_uuid", "astuid"), (.assets, "assets", "ast"),
            (.assetTimestamp, "asset_timestamp", "asttms"), Self.timestamp, Self.streamType,
        ])
        asset = Self.pair([(.currency, "currency", "cu"), (.balance, "balance", "b"), (.locked, "locked", "l")])
    }
}

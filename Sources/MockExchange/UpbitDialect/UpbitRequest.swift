import Foundation
import MarketStreamCore
import UpbitWire

/// An Upbit error frame: `{"error":{"name":…,"message":…}}`.
struct UpbitErrorFrame: Error, Sendable, Equatable {
    let name: String
    let message: String

    var json: String {
        var w = JSONWriter(capacity: 128)
        w.beginObject()
        w.key("error")
        w.beginObject()
        w.key("name")
        w.string(name)
        w.key("message")
        w.string(message)
        w.endObject()
        w.endObject()
        return String(decoding: w.bytes, as: UTF8.self)
    }

    static let wrongFormat = UpbitErrorFrame(name: "WRONG_FORMAT", message: "Format 이 맞지 않습니다.")
    static let noTicket = UpbitErrorFrame(name: "NO_TICKET", message: "티켓이 존재하지 않거나, 유효하지 않습니다.")
    static let noType = UpbitErrorFrame(name: "NO_TYPE", message: "타입이 존재하지 않습니다.")
    static let noCodes = UpbitErrorFrame(name: "NO_CODES", message: "코드가 존재하지 않습니다.")
    static let invalidAuth = UpbitErrorFrame(name: "INVALID_AUTH", message: "인증 정보가 올바르지 않습니다.")
    static let tooManyRequests = UpbitErrorFrame(name: "Too Many Requests", message: "요청 수 제한을 초과했습니다.")
    static func invalidParam(_ message: String) -> UpbitErrorFrame {
        UpbitErrorFrame(name: "INVALID_PARAM", message: message)
    }
}

/// One data type object of an Upbit request.
struct UpbitTypeRequest: Sendable, Equatable {
    /// `ticker`, `trade`, `orderbook`, `candle.1m`, `myOrder`, `myAsset`.
    var type: String
    /// Codes as sent (may carry a `.n` depth suffix; may be invalid and then ignored).
    var codes: [String]
    var isOnlySnapshot: Bool
    var isOnlyRealtime: Bool
    var level: ExactDecimal?
}

/// A parsed Upbit WebSocket request.
struct UpbitRequest: Sendable, Equatable {
    enum Body: Sendable, Equatable {
        case subscribe([UpbitTypeRequest])
        case listSubscriptions
    }

    var ticket: String
    var format: UpbitFormat?
    var body: Body

    static let publicTypes: Set<String> = Set(DataKind.publicBuiltIns.map(\.family))
    /// Bithumb streams no candles.
    static let bithumbPublicTypes: Set<String> = ["ticker", "trade", "orderbook"]
    static let privateTypes: Set<String> = ["myOrder", "myAsset"]

    /// Parses and validates a request as Upbit (or Bithumb) does.
    /// - Parameters:
    ///   - text: The message text.
    ///   - isPrivate: Whether it arrived on the private path.
    ///   - variant: Upbit reads snake_case snapshot flags; Bithumb reads camelCase ones (and
    ///     ignores snake_case), streams no candles, and answers empty `codes` with `INVALID_PARAM`.
    /// - Throws: The error frame the venue would send.
    static func parse(
        _ text: String, isPrivate: Bool, variant: UpbitWireVariant = .upbit
    ) throws(UpbitErrorFrame) -> UpbitRequest {
        let bithumb = variant == .bithumb
        let publicTypes = bithumb ? bithumbPublicTypes : Self.publicTypes
        let flags = bithumb ? ("isOnlySnapshot", "isOnlyRealtime") : ("is_only_snapshot", "is_only_realtime")
        guard let data = text.data(using: .utf8),
            let array = (try? JSONSerialization.jsonObject(with: data)) as? [Any], !array.isEmpty
        else { throw .wrongFormat }
        var ticket: String?
        var format: UpbitFormat?
        var method: String?
        var types: [UpbitTypeRequest] = []
        for element in array {
            guard let object = element as? [String: Any] else { throw .wrongFormat }
            if let value = object["ticket"] {
                guard let text = value as? String, !text.isEmpty else { throw .noTicket }
                ticket = text
            } else if let value = object["format"] {
                guard let text = value as? String, let parsed = UpbitFormat(rawValue: text) else {
                    throw .invalidParam("\(value) 은 지원하지 않는 포맷입니다.")
                }
                format = parsed
            } else if let value = object["method"] {
                guard let text = value as? String, text == "LIST_SUBSCRIPTIONS" else {
                    throw .invalidParam("\(value) 은 지원하지 않는 메소드입니다.")
                }
                method = text
            } else {
                guard let type = object["type"] as? String else { throw .noType }
                let allowed = isPrivate ? privateTypes : publicTypes
                guard allowed.contains(type) else { throw .invalidParam("\(type) 은 지원하지 않는 타입입니다.") }
                let codesValue = object["codes"]
                if type == "myAsset", codesValue != nil { throw .wrongFormat }
                var codes: [String] = []
                if let codesValue {
                    guard let list = codesValue as? [Any] else { throw .wrongFormat }
                    codes = list.compactMap { $0 as? String }
                }
                if publicTypes.contains(type) && codes.isEmpty {
                    if bithumb, codesValue != nil { throw .invalidParam("codes 가 비어 있습니다.") }
                    throw .noCodes
                }
                var level: ExactDecimal?
                if let raw = object["level"] {
                    if let number = raw as? NSNumber {
                        level = ExactDecimal(number.stringValue)
                    } else if let string = raw as? String {
                        level = ExactDecimal(string)
                    }
                    guard level != nil else { throw .invalidParam("level 이 올바르지 않습니다.") }
                }
                types.append(
                    UpbitTypeRequest(
                        type: type, codes: codes, isOnlySnapshot: (object[flags.0] as? Bool) ?? false,
                        isOnlyRealtime: (object[flags.1] as? Bool) ?? false, level: level))
            }
        }
        guard let ticket else { throw .noTicket }
        if method != nil { return UpbitRequest(ticket: ticket, format: format, body: .listSubscriptions) }
        guard !types.isEmpty else { throw .noType }
        return UpbitRequest(ticket: ticket, format: format, body: .subscribe(types))
    }
}

import Foundation
import MarketStreamCore

/// What recordings hold, frame by frame through the venue's own decoder:
/// `marketstream-gateway replay --stats FILES`.
public struct RecordingStatistics: Sendable, Hashable, CustomStringConvertible {
    /// Events per kind and market, as `<kind> <market>`.
    public var events: [String: Int] = [:]
    /// Records read, of every kind.
    public var records = 0
    /// Frames that did not decode (with the first error's text).
    public var undecodableFrames = 0
    public var firstDecodeError: String?
    /// The first and last record's receive time.
    public var first: UnixTime?
    public var last: UnixTime?
    /// Times the connection generation advanced (reconnects).
    public var reconnects = 0
    /// Connections (shards) the channel was spread over: 1 unless the venue limits the streams a
    /// connection carries and the set needed more.
    public var shards = 0
    /// Records missing from the recorder's numbering (dropped before they were written).
    public var missingRecords = 0
    /// Silences longer than ``silenceThreshold`` between two records, longest first (at most 10).
    public var silences: [Duration] = []
    /// Blocks that could not be read, per file.
    public var issues: [String] = []
    /// Files that end inside a block.
    public var truncatedFiles: [String] = []
    /// Files read.
    public var files = 0

    /// A gap between records at least this long counts as a silence.
    public static let silenceThreshold = Duration.seconds(5)

    public init() {}

    /// Reads `paths` in order, decoding each frame with `decoder` (the venue's module).
    /// - Parameters:
    ///   - paths: The recordings, in time order.
    ///   - decoder: The venue's module.
    ///   - from: Count only records received at this time or later.
    ///   - to: Count only records received up to this time.
    /// - Throws: ``RecordingError`` for a file that cannot be opened or is not a recording, or
    ///   `.invalidArgument` when `to` is before `from`.
    public static func collect(
        _ paths: [String], decoder: any AbstractWebSocketManager, from: UnixTime? = nil, to: UnixTime? = nil
    ) throws(RecordingError) -> RecordingStatistics {
        // Checked here: `read` would throw it too, but its errors are reported as a file's.
        _ = try RecordingTime.window(from: from, to: to)
        var statistics = RecordingStatistics()
        var generation: UInt32?
        var sequence: UInt32?
        var previous: Int64?
        var silences: [Duration] = []
        var output = DecodedFrame()
        var shards: Set<UInt8> = []
        let (wholeSeconds, attoseconds) = silenceThreshold.components
        let threshold = wholeSeconds * 1_000_000_000 + attoseconds / 1_000_000_000
        for path in paths {
            let reader = try RecordingReader(path: path)
            let channels = reader.header.channels.map(ChannelID.init(rawValue:))
            statistics.files += 1
            let summary: RecordingReader.ReadSummary
            do {
                summary = try reader.read(from: from, to: to) { record in
                    statistics.records += 1
                    shards.insert(record.shard)
                    let at = record.receivedAt.nanoseconds
                    if statistics.first == nil { statistics.first = record.receivedAt }
                    statistics.last = record.receivedAt
                    if let previous, at - previous >= threshold {
                        silences.append(.nanoseconds(at - previous))
                    }
                    previous = at
                    if let last = sequence, record.sequence > last &+ 1 {
                        statistics.missingRecords += Int(record.sequence - last - 1)
                    }
                    sequence = record.sequence
                    if let last = generation, record.generation > last { statistics.reconnects += 1 }
                    generation = record.generation
                    guard record.kind == .frame else { return }
                    output.removeAll()
                    do {
                        try decoder.decode(
                            record.message,
                            context: record.decodeContext(exchange: decoder.exchange, channels: channels),
                            into: &output)
                    } catch {
                        statistics.undecodableFrames += 1
                        if statistics.firstDecodeError == nil { statistics.firstDecodeError = "\(error)" }
                        return
                    }
                    for event in output.events { statistics.events["\(event.kind) \(event.market)", default: 0] += 1 }
                }
            } catch {
                throw .cannotOpen(path: path, reason: "\(error)")
            }
            statistics.issues += summary.issues.map { "\(path): \($0)" }
            if summary.truncated { statistics.truncatedFiles.append(path) }
        }
        statistics.silences = Array(silences.sorted(by: >).prefix(10))
        statistics.shards = shards.count
        return statistics
    }

    public var description: String {
        var lines: [String] = []
        let span = first.flatMap { first in last.map { Duration.nanoseconds($0.nanoseconds - first.nanoseconds) } }
        lines.append(
            "\(files) file\(files == 1 ? "" : "s"), \(records) records"
                + (span.map { ", spanning \(Self.format($0))" } ?? "")
                + (first.map { " from \(Self.format($0))" } ?? "") + (last.map { " to \(Self.format($0))" } ?? ""))
        lines.append(
            "reconnects: \(reconnects), records missing: \(missingRecords)"
                + (shards > 1 ? ", over \(shards) connections (shards)" : ""))
        if !silences.isEmpty {
            lines.append(
                "silences over \(Self.format(Self.silenceThreshold)): "
                    + silences.map(Self.format).joined(separator: ", "))
        }
        if undecodableFrames > 0 {
            lines.append("undecodable frames: \(undecodableFrames) (first: \(firstDecodeError ?? "?"))")
        }
        for file in truncatedFiles { lines.append("cut short (read to its last whole block): \(file)") }
        for issue in issues { lines.append("unreadable: \(issue)") }
        lines.append("events per kind and market:")
        for (key, count) in events.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(key.padding(toLength: 28, withPad: " ", startingAt: 0)) \(count)")
        }
        return lines.joined(separator: "\n")
    }

    /// An instant as ISO 8601 with milliseconds, UTC.
    private static func format(_ time: UnixTime) -> String {
        let date = Date(timeIntervalSince1970: Double(time.nanoseconds) / 1e9)
        return date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
    }

    private static func format(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return seconds < 120 ? String(format: "%.1f s", seconds) : String(format: "%.1f min", seconds / 60)
    }
}

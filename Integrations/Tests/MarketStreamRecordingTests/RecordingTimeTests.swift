import MarketStreamCore
import MarketStreamRecording
import Testing

/// `--from` and `--to` as a command line gives them.
@Suite struct RecordingTimeTests {
    /// 2026-12-05T09:30:00Z in nanoseconds since 1970.
    static let half = Int64(1_796_463_000) * 1_000_000_000

    @Test func utcTimesAndEpochMillisecondsNameTheirSpan() {
        #expect(RecordingTime.parse("2026-12-05T09:30:00Z")?.nanoseconds == Self.half)
        #expect(RecordingTime.parse("2026-12-05T09:30:00")?.nanoseconds == Self.half)
        #expect(RecordingTime.parseEnd("2026-12-05T09:30:00Z")?.nanoseconds == Self.half + 999_999_999)
        #expect(RecordingTime.parse("2026-12-05T09:30:00.25Z")?.nanoseconds == Self.half + 250_000_000)
        #expect(RecordingTime.parseEnd("2026-12-05T09:30:00.25Z")?.nanoseconds == Self.half + 259_999_999)
        #expect(RecordingTime.parse("2026-12-05T09:30:00.123456789Z")?.nanoseconds == Self.half + 123_456_789)
        #expect(RecordingTime.parseEnd("2026-12-05T09:30:00.123456789Z")?.nanoseconds == Self.half + 123_456_789)
        // As `replay` prints receive times: the end takes in the whole millisecond.
        #expect(RecordingTime.parse("1796463000123")?.nanoseconds == Self.half + 123_000_000)
        #expect(RecordingTime.parseEnd("1796463000123")?.nanoseconds == Self.half + 123_999_999)
    }

    @Test(arguments: [
        "", "soon", "2026-12-05", "2026-12-05T09:30", "2026-12-05T09:30:00+09:00", "2026-12-05T09:30:00.Z",
        "2026-12-05T09:30:00.1234567891Z", "2026-02-31T00:00:00Z", "2026-13-01T00:00:00Z", "2026-12-05T24:00:00Z",
        "2026-12-05T09:30:00ZZ", "-5", "1e12", "9999999999999999999",
        // Past what a time in nanoseconds holds (2262): refused, not a crash.
        "999999999999999", "9223372036854", "9999-12-31T23:59:59Z", "2263-01-01T00:00:00.5Z",
    ])
    func anythingElseIsNoTime(text: String) {
        #expect(RecordingTime.parse(text) == nil, "\(text)")
        #expect(RecordingTime.parseEnd(text) == nil, "\(text)")
    }

    @Test func aRangeNamesTheFlagItRefuses() {
        #expect(throws: RecordingError.invalidArgument("the time range ends (to) before it starts (from)")) {
            try RecordingTime.range(from: "2026-12-05T09:30:01Z", to: "2026-12-05T09:30:00Z")
        }
        #expect(throws: RecordingError.self) { try RecordingTime.range(from: "later", to: nil) }
        let range = try? RecordingTime.range(from: nil, to: "2026-12-05T09:30:00Z")
        #expect(range?.from == nil && range?.to?.nanoseconds == Self.half + 999_999_999)
        // One second from and to: the whole second.
        let second = try? RecordingTime.range(from: "2026-12-05T09:30:00Z", to: "2026-12-05T09:30:00Z")
        #expect(second?.from?.nanoseconds == Self.half && second?.to?.nanoseconds == Self.half + 999_999_999)
    }
}

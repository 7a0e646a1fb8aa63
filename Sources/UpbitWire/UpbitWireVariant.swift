/// Which venue's spelling of Upbit's wire format to write: Upbit's own, or Bithumb's clone
/// (order-book timestamps in microseconds, trade dates and times in KST, `""` for a null
/// `delisting_date`, and `tdt` for a trade's date in SIMPLE).
public enum UpbitWireVariant: Sendable, Hashable {
    case upbit
    case bithumb
}

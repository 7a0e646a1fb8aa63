/// The last sequence number a remote connection saw on each subject, and where a new one falls:
/// the gateway numbers each topic's messages one by one, so a number past the next means
/// messages were lost, and one not past the last is a repeat.
struct SubjectSequences: Sendable {
    /// Where a message's number falls.
    enum Placement: Equatable {
        /// The first on its subject, or the one after the last.
        case next
        /// Not past the last: a repeat, not to deliver.
        case old
        /// Past the next: messages between were lost.
        case gap
    }

    private var last: [String: UInt32] = [:]

    /// Places `sequence` on `subject` and, unless it is old, notes it as the subject's last.
    mutating func place(_ sequence: UInt32, on subject: String) -> Placement {
        // The subject is hashed once per message: its entry is found once and changed in place.
        guard let index = last.index(forKey: subject) else {
            last[subject] = sequence
            return .next
        }
        let previous = last.values[index]
        if sequence <= previous { return .old }
        last.values[index] = sequence
        return sequence > previous &+ 1 ? .gap : .next
    }

    /// Forgets `subject` (its subscription ended): its next message is a first again.
    mutating func forget(_ subject: String) {
        last[subject] = nil
    }
}

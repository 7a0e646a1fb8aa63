/// A change of one channel's upstream subscription set, computed by the router.
///
/// Overwrite-style exchanges encode ``desired`` in full; incremental ones encode ``added`` and
/// ``removed``. ``snapshots`` lists topics whose current state was asked for once.
public struct SubscriptionRequest: Sendable, Hashable {
    /// The channel.
    public var channel: ChannelID
    /// Every topic that must be live after this request.
    public var desired: Set<SubscriptionTopic>
    /// Topics live now that were not before.
    public var added: Set<SubscriptionTopic>
    /// Topics that were live and must end.
    public var removed: Set<SubscriptionTopic>
    /// Topics whose snapshot is requested; a snapshot must never end a live stream.
    public var snapshots: Set<SubscriptionTopic>
    /// A number that grows by one per request sent on the connection (usable as a request id).
    public var sequence: Int

    /// Creates a request.
    public init(
        channel: ChannelID, desired: Set<SubscriptionTopic>, added: Set<SubscriptionTopic>,
        removed: Set<SubscriptionTopic>, snapshots: Set<SubscriptionTopic>, sequence: Int
    ) {
        self.channel = channel
        self.desired = desired
        self.added = added
        self.removed = removed
        self.snapshots = snapshots
        self.sequence = sequence
    }
}

import Logging
import MarketStreamCore

extension MarketDataRouter {
    /// How long before a venue's connection lifetime ends its replacement is started: half the
    /// lifetime, at most ten minutes (Binance's 24 hours: at 23 h 50 min).
    static func rotationLead(for lifetime: Duration) -> Duration {
        min(lifetime / 2, .seconds(600))
    }

    /// How long a restored replacement watches which topics flow before it may take over: an
    /// eighth of the lead, at most a second.
    static func overlapWindow(for lifetime: Duration) -> Duration {
        min(rotationLead(for: lifetime) / 8, .seconds(1))
    }

    /// Runs `first` until it ends. Where the venue limits a connection's lifetime
    /// (``ExchangeChannel/connectionLifetime``), replaces it before then, make-before-break: `lead`
    /// before the lifetime (counted from when the connection was established) ends, a replacement
    /// is opened (under the connect limit) and restored while the current connection still
    /// delivers; it takes over once it has overlapped every flowing topic, and the old connection
    /// closes. Subscribers see neither a reconnect nor a gap nor a duplicate; the generation stays
    /// the same. If the old connection closes first (the venue's limit came before the overlap),
    /// a restored replacement takes over at once, still without a reconnect, and the rotation
    /// counts as one without overlap. A replacement that fails is retried while there is time;
    /// if none succeeds, the venue's close is an ordinary reconnect.
    /// - Returns: The connection whose end ended the run, and what ended it.
    func runConnection(_ first: ConnectionSession, on runtime: ChannelRuntime, shard: ChannelShard, logger: Logger)
        async -> (ConnectionSession, (any Error)?)
    {
        let manager = runtime.manager
        let channel = runtime.key.channel
        guard let lifetime = runtime.descriptor.connectionLifetime else {
            defer { manager.connectionEnded(first.number, on: channel) }
            do {
                try await manager.connect(to: channel, handler: first)
                return (first, nil)
            } catch {
                return (first, error)
            }
        }
        let lead = Self.rotationLead(for: lifetime)

        enum Step: Sendable {
            case ended(ConnectionSession, (any Error)?)
            case rotationDue(ConnectionSession)
            case tookOver(ConnectionSession)
            case gaveUp
        }

        return await withTaskGroup(of: Step.self) { group in
            var active = first
            var standby: ConnectionSession?
            var finished: (ConnectionSession, (any Error)?)?

            /// Reports when `session`'s replacement is due: `lead` before its lifetime, counted from
            /// when it was established (from now while it is still connecting), but not before
            /// `earliest`.
            func scheduleRotation(of session: ConnectionSession, notBefore earliest: Duration? = nil) {
                let started = now()
                group.addTask {
                    var due = max(started + lifetime - lead, earliest ?? .zero)
                    while !Task.isCancelled {
                        try? await self.sleep(until: due)
                        let established = session.establishedAt.map { $0 + lifetime - lead } ?? self.now() + lead / 8
                        guard established > due else { break }
                        due = max(established, earliest ?? .zero)
                    }
                    return .rotationDue(session)
                }
            }

            /// Makes `replacement`, which has taken over, the connection watched from now on.
            func adopt(_ replacement: ConnectionSession) {
                active = replacement
                standby = nil
                scheduleRotation(of: replacement)
            }

            group.addTask {
                do {
                    try await manager.connect(to: channel, handler: first)
                    return .ended(first, nil)
                } catch {
                    return .ended(first, error)
                }
            }
            scheduleRotation(of: first)

            while let step = await group.next() {
                switch step {
                case .rotationDue(let session):
                    guard finished == nil, standby == nil, session === active, !Task.isCancelled else { continue }
                    let replacement = ConnectionSession(
                        router: self, runtime: runtime, shard: shard,
                        number: runtime.nextConnectionNumber(), replacing: active,
                        overlapWindow: Self.overlapWindow(for: lifetime), logger: logger)
                    standby = replacement
                    logger.debug("replacing the connection before its lifetime ends")
                    group.addTask {
                        await self.waitForConnectPermit(runtime.key.exchange)
                        do {
                            try await manager.connect(to: channel, handler: replacement)
                            return .ended(replacement, nil)
                        } catch {
                            return .ended(replacement, error)
                        }
                    }
                    group.addTask {
                        await replacement.takeover.wait()
                        return replacement.tookOver ? .tookOver(replacement) : .gaveUp
                    }

                case .tookOver(let replacement):
                    // The outgoing connection closes itself (`SessionEnd.rotated`); its end may
                    // have been seen first.
                    if finished == nil, replacement === standby { adopt(replacement) }

                case .gaveUp:
                    continue

                case .ended(let session, let error):
                    manager.connectionEnded(session.number, on: channel)
                    guard finished == nil else { continue }
                    if session === active {
                        if let standby, standby.tookOver || standby.takeOverNow() {
                            // Closed because its replacement took over, or closed by the venue
                            // while the restored replacement waited for the overlap.
                            adopt(standby)
                        } else {
                            finished = (session, error)
                            group.cancelAll()
                        }
                    } else if session === standby {
                        // The replacement failed before taking over: try again in a while.
                        standby = nil
                        session.takeover.signal()
                        logger.info(
                            "replacement connection failed; the current one stays",
                            metadata: ["error": "\(error.map { String(describing: $0) } ?? "closed")"])
                        scheduleRotation(of: active, notBefore: now() + lead / 8)
                    }
                // Otherwise a replaced connection has closed, as it should.
                }
            }
            return finished ?? (active, nil)
        }
    }
}

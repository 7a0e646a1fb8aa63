/// How many threads the benchmark's `nats-server` runs Go code on, for the latency runs, which
/// measure both in the same run.
///
/// On a 2-core host that also runs the gateway and the remote processes, Go's default (a thread
/// per core) keeps idle threads spinning for work on the cores the gateway and the remote need;
/// with one (`GOMAXPROCS=1 nats-server …`) they do not.
enum ServerThreads: Sendable {
    /// Go's default: a thread per core (`GOMAXPROCS` removed from the server's environment).
    case goDefault
    /// One thread: `GOMAXPROCS=1`.
    case one

    /// The server process's environment: `base` with `GOMAXPROCS` set or removed.
    func environment(from base: [String: String]) -> [String: String] {
        var environment = base
        switch self {
        case .goDefault: environment["GOMAXPROCS"] = nil
        case .one: environment["GOMAXPROCS"] = "1"
        }
        return environment
    }

    /// How it reads in the benchmark's lines.
    var label: String {
        switch self {
        case .goDefault: "nats-server with Go's default threads"
        case .one: "nats-server with one Go thread (GOMAXPROCS=1)"
        }
    }
}

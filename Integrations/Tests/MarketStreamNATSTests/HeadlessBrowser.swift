import AsyncHTTPClient
import Foundation
import Logging
import MarketStreamCore
import MarketStreamTransport
import NIOCore
import NIOPosix
import Synchronization

/// Debian's `chromium`, headless, driven over the Chrome DevTools Protocol: it loads a page,
/// runs its scripts, and answers `Runtime.evaluate`.
final class HeadlessBrowser: @unchecked Sendable {
    private let process: Process
    private let profile: String

    /// Opens `url` in a new headless chromium.
    init(opening url: String) throws {
        profile = NSTemporaryDirectory() + "chromium-\(UInt64.random(in: 0 ... .max))"
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/chromium")
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--remote-allow-origins=*",
            // Port 0: chromium takes a free one and names it in the profile's DevToolsActivePort
            // (a random port of ours could be taken, by a nats-server, say, which never answers HTTP).
            "--remote-debugging-port=0", "--user-data-dir=\(profile)", url,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: profile)
    }

    /// The page's DevTools WebSocket address, once chromium serves it.
    func pageDebuggerURL() async throws -> String {
        struct Target: Decodable {
            var type: String
            var webSocketDebuggerUrl: String?
        }
        var lastError = "nothing"
        // Chromium starts in well under a second when idle; a loaded machine gets 30 s.
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            do {
                let data = try await httpGet("http://127.0.0.1:\(try debuggingPort())/json/list", timeout: .seconds(2))
                let targets = try JSONDecoder().decode([Target].self, from: data)
                if let page = targets.first(where: { $0.type == "page" })?.webSocketDebuggerUrl { return page }
                lastError = "no page among \(targets.count) targets"
            } catch {
                lastError = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw DevToolsError(message: "chromium did not open its debugging port: \(lastError)")
    }

    /// The port chromium's DevTools listen on, once it has written it (the first line of
    /// `DevToolsActivePort` in its profile).
    private func debuggingPort() throws -> Int {
        let text = try String(contentsOfFile: profile + "/DevToolsActivePort", encoding: .utf8)
        guard let line = text.split(separator: "\n").first, let port = Int(line) else {
            throw DevToolsError(message: "DevToolsActivePort holds no port yet")
        }
        return port
    }

    /// Connects to the page and runs `body` with a way to evaluate JavaScript in it.
    func withPage<Value: Sendable>(_ body: @Sendable (DevToolsSession) async throws -> Value) async throws -> Value {
        let url = try WebSocketURL(try await pageDebuggerURL())
        let session = DevToolsSession()
        return try await withThrowingTaskGroup(of: Value?.self) { group in
            group.addTask {
                // Whatever ends the connection fails what still waits on it, instead of a hang.
                do {
                    try await WebSocketTransport.run(
                        url: url, configuration: WebSocketTransportConfiguration(),
                        eventLoop: MultiThreadedEventLoopGroup.singleton.next(), handler: session,
                        logger: Logger(label: "cdp", factory: { _ in SwiftLogNoOpLogHandler() }))
                    session.connectionEnded("the DevTools connection closed")
                } catch {
                    session.connectionEnded("the DevTools connection failed: \(error)")
                }
                return nil
            }
            try await session.waitUntilOpen()
            let value = try await body(session)
            session.finish()
            group.cancelAll()
            return value
        }
    }
}

/// The body of a GET.
func httpGet(_ url: String, timeout: TimeAmount = .seconds(5)) async throws -> Data {
    let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: timeout)
    let body = try await response.body.collect(upTo: 16 * 1024 * 1024)
    return Data(body.readableBytesView)
}

struct DevToolsError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// One DevTools connection: sends commands with ids and matches the answers.
final class DevToolsSession: ConnectionHandler, Sendable {
    private struct State: Sendable {
        var outbound: (any WebSocketOutbound)?
        var nextID = 1
        /// Commands sent, waiting for the value their answer carries.
        var waiting: [Int: CheckedContinuation<String, any Error>] = [:]
        /// Answers that came before their command's waiter was in place.
        var answered: [Int: Result<String, DevToolsError>] = [:]
        var opened: [CheckedContinuation<Void, any Error>] = []
        /// Why the connection is gone, once it is.
        var ended: String?
    }

    private let state = Mutex(State())
    private let done = AsyncStream<Void>.makeStream()

    func run(outbound: any WebSocketOutbound) async throws {
        let waiters = state.withLock { state in
            state.outbound = outbound
            defer { state.opened.removeAll() }
            return state.opened
        }
        for waiter in waiters { waiter.resume() }
        for await _ in done.stream {}
    }

    func finish() { done.continuation.finish() }

    func waitUntilOpen() async throws {
        try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Void, any Error>) in
            let outcome = state.withLock { state -> Result<Bool, DevToolsError> in
                if let ended = state.ended { return .failure(DevToolsError(message: ended)) }
                if state.outbound == nil { state.opened.append(waiter) }
                return .success(state.outbound != nil)
            }
            switch outcome {
            case .success(true): waiter.resume()
            case .success(false): break
            case .failure(let error): waiter.resume(throwing: error)
            }
        }
    }

    /// The connection is gone: everything waiting on it fails with `reason`.
    func connectionEnded(_ reason: String) {
        let (opened, waiting) = state.withLock { state in
            if state.ended == nil { state.ended = reason }
            defer {
                state.opened.removeAll()
                state.waiting.removeAll()
            }
            return (state.opened, Array(state.waiting.values))
        }
        for waiter in opened { waiter.resume(throwing: DevToolsError(message: reason)) }
        for waiter in waiting { waiter.resume(throwing: DevToolsError(message: reason)) }
    }

    /// Evaluates `expression` in the page; returns its value as a string.
    func evaluate(_ expression: String) async throws -> String {
        let (id, outbound) = state.withLock { state -> (Int, (any WebSocketOutbound)?) in
            defer { state.nextID += 1 }
            return (state.nextID, state.outbound)
        }
        guard let outbound else { throw DevToolsError(message: "not connected") }
        let command: [String: Any] = [
            "id": id, "method": "Runtime.evaluate",
            "params": ["expression": "String(\(expression))", "returnByValue": true],
        ]
        let text = String(decoding: try JSONSerialization.data(withJSONObject: command), as: UTF8.self)
        try await outbound.send(.text(text))
        // An answer that never comes is an error naming the expression, not a hang.
        return try await withThrowingTaskGroup(of: String.self) { group in
            group.addTask { try await self.answer(to: id) }
            group.addTask {
                try await Task.sleep(for: .seconds(15))
                throw DevToolsError(message: "no answer in 15 s to \(expression)")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    /// The value of command `id`'s answer, once it comes (or came already).
    private func answer(to id: Int) async throws -> String {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<String, any Error>) in
                let known = state.withLock { state -> Result<String, DevToolsError>? in
                    if let answer = state.answered.removeValue(forKey: id) { return answer }
                    if let ended = state.ended { return .failure(DevToolsError(message: ended)) }
                    state.waiting[id] = waiter
                    return nil
                }
                if let known { waiter.resume(with: known) }
            }
        } onCancel: {
            state.withLock { $0.waiting.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }

    func receive(_ frame: WebSocketMessage) {
        let data = Data(frame.bytes.readableBytesView)
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let id = object["id"] as? Int
        else { return }
        // Runtime.evaluate answers {"id":…,"result":{"result":{"type":"string","value":…}}}.
        let result = (object["result"] as? [String: Any])?["result"] as? [String: Any]
        let answer: Result<String, DevToolsError> =
            if let value = result?["value"] as? String {
                .success(value)
            } else {
                .failure(DevToolsError(message: "no value in \(object)"))
            }
        let waiter = state.withLock { state in
            let waiter = state.waiting.removeValue(forKey: id)
            if waiter == nil { state.answered[id] = answer }
            return waiter
        }
        waiter?.resume(with: answer)
    }

    func receivedPong() {}
}

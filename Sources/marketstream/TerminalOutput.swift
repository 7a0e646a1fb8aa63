#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Unbuffered writes to stdout and stderr that survive a reader going away.
///
/// `watch --json | head -3`: once `head` exits, the next write fails with EPIPE (the process
/// ignores SIGPIPE, as SwiftNIO sets it up). Foundation's `FileHandle.write` would crash on that;
/// here a closed stdout ends the program quietly with exit status 0, as Unix tools do, and a
/// closed stderr is ignored.
enum TerminalOutput {
    /// Writes all of `bytes` to stdout; exits 0 when stdout has been closed.
    static func standardOutput(_ bytes: some Collection<UInt8>) {
        if !write(Array(bytes), to: STDOUT_FILENO) { exit(0) }
    }

    /// Writes all of `bytes` to stderr; a closed stderr is not an error worth dying for.
    static func standardError(_ bytes: some Collection<UInt8>) {
        _ = write(Array(bytes), to: STDERR_FILENO)
    }

    /// Writes everything, retrying short writes and interruptions.
    /// - Returns: `false` when the descriptor is closed for writing (EPIPE or another error).
    private static func write(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    return false
                }
                offset += written
            }
            return true
        }
    }
}

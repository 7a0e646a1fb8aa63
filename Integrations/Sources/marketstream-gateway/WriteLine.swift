#if canImport(Glibc)
    import Glibc
#endif

/// SIGPIPE ignored, once: a closed stdout is then an error from `write`, which `writeLine` handles.
private let pipeSignalIgnored: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

/// Writes a line to standard output; a closed stdout (`| head`) ends the program quietly with
/// status 0.
func writeLine(_ line: String) {
    _ = pipeSignalIgnored
    let bytes = Array((line + "\n").utf8)
    let complete = bytes.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let written = write(STDOUT_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return false
            }
            offset += written
        }
        return true
    }
    if !complete { exit(0) }
}

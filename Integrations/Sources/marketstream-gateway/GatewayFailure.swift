/// A failure while a command runs (the NATS server cannot be reached, a recording cannot be read):
/// printed as one line, `Error: …`, with exit status 1.
///
/// A bad flag is a `ValidationError` instead, which the argument parser prints with the usage
/// and exit status 64; a failure at run time is not the user's typing, so it gets no usage dump.
struct GatewayFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

import ArgumentParser

/// `marketstream-gateway`: one venue's live data for processes on other machines, over NATS.
@main
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "marketstream-gateway",
        abstract:
            "Serves one venue's live data over NATS, with every remote process's demand consolidated; records it to files.",
        subcommands: [
            ServeCommand.self, RemoteWatchCommand.self, RecordCommand.self, ReplayCommand.self,
            ServeRecordingCommand.self,
        ],
        defaultSubcommand: ServeCommand.self
    )
}

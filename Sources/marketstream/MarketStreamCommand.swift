import ArgumentParser

/// The `marketstream` command-line tool.
@main
struct MarketStreamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "marketstream",
        abstract: "Live exchange data through one shared, supervised connection per exchange channel.",
        subcommands: [WatchCommand.self, DemoCommand.self, MockServerCommand.self, PluginsCommand.self],
        defaultSubcommand: nil
    )
}

import Foundation
import WatcherCLI

// Kept tiny: globals here are MainActor-isolated (REFERENCE §8); everything lives in WatcherCLI.
exit(await WatcherCLI.main(Array(CommandLine.arguments.dropFirst())))

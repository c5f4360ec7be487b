import Foundation
import WatcherCLI

// Kept tiny: globals in main.swift are MainActor-isolated; everything lives in WatcherCLI.
exit(await WatcherCLI.main(Array(CommandLine.arguments.dropFirst())))

import Foundation
import WatcherCLI

// Kept tiny: globals in main.swift are MainActor-isolated; everything lives in WatcherCLI.
let arguments = Array(CommandLine.arguments.dropFirst())
WatcherCLI.prepareProcess(arguments)  // on the main thread, before the first await starts the others
exit(await WatcherCLI.main(arguments))

import Foundation
import WeChatPaySimulator

/// `simulate --dir DIR [--port N]`: the WeChat Pay simulator in the foreground, with a ready configuration.
enum SimulateCommand: Command {
    static let name = "simulate"
    static let summary =
        "Run the WeChat Pay simulator on 127.0.0.1 and write a config and keys that point a `run` at it."
    static let usage =
        "simulate --dir DIR [--port N] [--tls] [--chunked P] [--merchants N] [--seed N] [--faults NAME=P,…] [--unknown-resources create|404]"
    static let discussion = """
        The simulator verifies request signatures, signs its answers with its own platform key, allows 20 requests
        per second per merchant and API (429 FREQUENCY_LIMITED beyond), and moves each task PROCESSING → SUCCESS or
        FAIL after a delay drawn from the seed (2 s + lognormal, median 6 s). Unknown ids are created on first
        sight unless --unknown-resources 404. Like WeChat Pay it closes connections idle for 8 s and answers a
        reused nonce with 401. Its unsigned admin API: GET /_sim/stats, GET|POST /_sim/resources,
        PUT /_sim/faults, POST /_sim/reset.

        --tls serves HTTPS with a certificate for 127.0.0.1 and localhost, signed by a CA written to DIR/ca.pem,
        which the written config names as api.ca_file. --chunked P sends that share of answers chunked instead
        of with Content-Length.

        Then, in another shell: wechatpay-watcher run --config DIR/wechatpay-watcher.json
        """
    static let options: [Arguments.Option] = [
        .init(name: "dir", takesValue: true, help: "folder for keys, config, database and log", valueName: "DIR"),
        .init(name: "port", takesValue: true, help: "port to listen on (default: any free port)", valueName: "N"),
        .init(name: "tls", takesValue: false, help: "serve HTTPS with a generated CA and certificate"),
        .init(
            name: "chunked", takesValue: true, help: "share of answers sent chunked, 0…1 (default 0)",
            valueName: "P"),
        .init(name: "merchants", takesValue: true, help: "number of simulated merchants (default 2)", valueName: "N"),
        .init(
            name: "seed", takesValue: true, help: "seed for durations, outcomes and faults (default 1)", valueName: "N"),
        .init(
            name: "faults", takesValue: true, help: "fault probabilities, e.g. server_error=0.05,bad_signature=0.02",
            valueName: "LIST"),
        .init(name: "unknown-resources", takesValue: true, help: "create (default) or 404", valueName: "MODE"),
        .init(
            name: "failure-rate", takesValue: true, help: "share of resources that end in FAIL (default 0.1)",
            valueName: "P"),
    ]

    static func run(_ arguments: Arguments) async throws(CLIError) -> Int32 {
        let directory = URL(fileURLWithPath: try arguments.required("dir")).standardizedFileURL.path
        let port = try arguments.integer("port", default: 0)
        guard (0...65_535).contains(port) else { throw .usage("--port must be between 0 and 65535") }
        let merchants = try arguments.integer("merchants", default: 2)
        guard (1...100).contains(merchants) else { throw .usage("--merchants must be between 1 and 100") }
        let seed = UInt64(try arguments.integer("seed", default: 1))
        let failureRate = Double(arguments.value("failure-rate") ?? "0.1") ?? -1
        guard (0...1).contains(failureRate) else { throw .usage("--failure-rate must be a number between 0 and 1") }
        let unknown = arguments.value("unknown-resources") ?? "create"
        guard ["create", "404"].contains(unknown) else { throw .usage("--unknown-resources must be create or 404") }
        let faults = try parseFaults(arguments.value("faults"))
        let chunkedShare = Double(arguments.value("chunked") ?? "0") ?? -1
        guard (0...1).contains(chunkedShare) else { throw .usage("--chunked must be a number between 0 and 1") }
        let tls = arguments.flag("tls")

        let setup = try simulationFolder(directory, merchants: merchants)
        var configuration = setup.simulatorConfiguration(
            seed: seed,
            durations: .lognormal(offset: 2, median: 6, sigma: 0.6),
            failureRate: failureRate,
            createUnknown: unknown == "create"
        )
        configuration.faults = faults
        configuration.chunkedShare = chunkedShare
        if tls { try serveTLS(&configuration, from: setup) }
        let simulator = WeChatPaySimulator(configuration: configuration)
        let baseURL: String
        do {
            try simulator.start(port: UInt16(port))
            baseURL = simulator.baseURL ?? ""
        } catch {
            throw .runtime("cannot start the simulator: \(error)")
        }
        try writeConfiguration(setup, baseURL: baseURL, caFile: tls ? setup.caFile : nil)
        Output.line("WeChat Pay simulator listening on \(baseURL)")
        if tls { Output.line("CA certificate (api.ca_file): \(setup.caFile)") }
        Output.line("config: \(setup.configFile)")
        Output.line("run the watcher with: wechatpay-watcher run --config \(setup.configFile)")
        await waitForTerminationSignal()
        simulator.stop()
        Output.line("simulator stopped")
        return 0
    }

    static func parseFaults(_ text: String?) throws(CLIError) -> FaultPlan {
        var plan = FaultPlan()
        for item in (text ?? "").split(separator: ",") {
            let parts = item.split(separator: "=")
            guard parts.count == 2, let fault = Fault(rawValue: String(parts[0])), let probability = Double(parts[1]),
                (0...1).contains(probability)
            else {
                throw .usage(
                    "bad fault \(String(item).debugDescription): expected NAME=P with P in 0…1; names: \(Fault.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            plan.probabilities[fault] = probability
        }
        return plan
    }
}

/// Suspends until SIGINT or SIGTERM.
func waitForTerminationSignal() async {
    let stream = AsyncStream<Void> { continuation in
        let handlers = SignalHandlers([
            (SIGINT, { @Sendable in continuation.yield() }),
            (SIGTERM, { @Sendable in continuation.yield() }),
        ])
        continuation.onTermination = { _ in handlers.cancel() }
    }
    for await _ in stream { break }
}

/// Prepares a simulation folder, as a command-line error on failure.
func simulationFolder(_ directory: String, merchants: Int) throws(CLIError) -> SimulationFolder {
    do {
        return try SimulationFolder.prepare(directory: directory, merchantCount: merchants)
    } catch {
        throw .runtime("cannot prepare the simulation folder \(directory): \(error)")
    }
}

/// Writes the watcher configuration of a simulation folder, as a command-line error on failure.
func writeConfiguration(_ folder: SimulationFolder, baseURL: String, caFile: String? = nil) throws(CLIError) {
    do {
        try folder.writeConfiguration(baseURL: baseURL, caFile: caFile)
    } catch {
        throw .runtime("cannot write \(folder.configFile): \(error)")
    }
}

/// Makes the simulator serve HTTPS with the folder's certificate (made on first use), as a command-line error on
/// failure.
func serveTLS(_ configuration: inout SimulatorConfiguration, from folder: SimulationFolder) throws(CLIError) {
    do {
        configuration.tls = try folder.prepareTLS()
    } catch {
        throw .runtime("cannot prepare the simulator's TLS certificate in \(folder.directory): \(error)")
    }
}

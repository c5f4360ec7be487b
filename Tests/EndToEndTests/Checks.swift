import Testing
import WeChatPaySimulator

/// Checks every row against the simulator's truth and its transition history; returns a list of problems.
func problems(in scenario: Scenario, expectRejected: Set<String> = []) throws -> [String] {
    let rows = try scenario.rows()
    let transitions = try scenario.transitions()
    var problems: [String] = []
    for (key, row) in rows {
        let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
        let truth = scenario.simulator.resource(.imageGenerationTask, mchid: parts[0], id: parts[1])
        if expectRejected.contains(parts[1]) {
            if row.state != "REJECTED" { problems.append("\(key): expected REJECTED, found \(row.state)") }
        } else if let truth {
            if row.state != truth.finalState {
                problems.append("\(key): state \(row.state), truth \(truth.finalState)")
            }
            let expectedURL = truth.outcome == .success ? truth.imageURL : nil
            if row.url != expectedURL {
                problems.append("\(key): image_url \(row.url ?? "nil"), truth \(expectedURL ?? "nil")")
            }
        } else {
            problems.append("\(key): unknown to the simulator")
        }
        var current = "PENDING"
        for transition in transitions[key] ?? [] {
            if transition.from != current {
                problems.append("\(key): transition from \(transition.from) but the row was \(current)")
            }
            if transition.from == transition.to {
                problems.append("\(key): repeated transition \(transition.from) → \(transition.to)")
            }
            current = transition.to
        }
        if current != row.state { problems.append("\(key): transitions end in \(current), row is \(row.state)") }
    }
    return problems
}

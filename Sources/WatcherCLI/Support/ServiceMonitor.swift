import Foundation
import WatcherEngine
import WatcherSystemd
import WeChatPay

/// What the running daemon tells the world besides its log: systemd's `STATUS=` and `WATCHDOG=1`, and the
/// Prometheus textfile when `metrics_file` is configured.
final class ServiceMonitor: Sendable {
    private let statistics: EngineStatistics
    private let clients: [WeChatPayClient]
    private let notifier: SystemdNotifier?
    private let watchdog: WatchdogSettings?
    private let metricsFile: @Sendable () -> String?
    private let onMetricsFailure: @Sendable (String) -> Void

    init(
        statistics: EngineStatistics, clients: [WeChatPayClient] = [], notifier: SystemdNotifier?,
        watchdog: WatchdogSettings?,
        metricsFile: @escaping @Sendable () -> String?, onMetricsFailure: @escaping @Sendable (String) -> Void
    ) {
        self.statistics = statistics
        self.clients = clients
        self.notifier = notifier
        self.watchdog = watchdog
        self.metricsFile = metricsFile
        self.onMetricsFailure = onMetricsFailure
    }

    /// Runs until cancelled: status and metrics every 5 s; `WATCHDOG=1` every half watchdog period, but only
    /// when the engine's loop has made progress since the last ping. Sleeps until the next of those is due.
    func run() async {
        let clock = ContinuousClock()
        let statusEvery = Duration.seconds(5)
        var lastStatus = clock.now - .seconds(60)
        var lastPing = clock.now
        var lastMark = statistics.progressMark
        var lastMetricsFailure: String?
        let pingEvery = Duration.milliseconds(Int64((watchdog?.pingInterval ?? 3_600) * 1_000))
        let pinging = notifier != nil && watchdog != nil
        while !Task.isCancelled {
            let now = clock.now
            var nextPing = lastPing + pingEvery
            if pinging, now >= nextPing {
                let mark = statistics.progressMark
                if mark != lastMark {
                    notifier?.watchdog()
                    lastMark = mark
                    lastPing = now
                    nextPing = now + pingEvery
                } else {
                    // No progress yet: look again soon, so the ping follows the progress closely.
                    nextPing = now + .milliseconds(250)
                }
            }
            if now - lastStatus >= statusEvery {
                lastStatus = now
                let snapshot = statistics.snapshot(at: 0, wallNow: Date())
                notifier?.status(StatusLine.make(snapshot))
                if let path = metricsFile() {
                    do {
                        var textfile = MetricsExport.textfile(snapshot)
                        textfile.families += CertificateMetrics.families(clients, now: Date())
                        try textfile.write(to: path)
                        lastMetricsFailure = nil
                    } catch {
                        let message = "\(error.localizedDescription)"
                        if message != lastMetricsFailure { onMetricsFailure(message) }
                        lastMetricsFailure = message
                    }
                }
            }
            let next = pinging ? min(lastStatus + statusEvery, nextPing) : lastStatus + statusEvery
            try? await Task.sleep(until: next, clock: clock)
        }
    }
}

/// The engine's counters as Prometheus metrics.
package enum MetricsExport {
    package static func textfile(_ snapshot: StatisticsSnapshot) -> PrometheusTextfile {
        let lanes = snapshot.lanes.sorted { $0.key < $1.key }
        func laneLabels(_ key: LaneKey) -> [String: String] { ["merchant": key.merchant, "api": key.resource] }
        var requests = PrometheusTextfile.Family(
            name: "wechatpay_watcher_requests_total",
            help: "Requests sent to WeChat Pay, by merchant, API and outcome (HTTP status or failure kind).",
            kind: .counter)
        for (key, counters) in lanes {
            for (outcome, count) in counters.outcomes {
                requests.samples.append(.init(laneLabels(key).merging(["status": outcome]) { $1 }, Double(count)))
            }
        }
        func perLane(_ name: String, _ help: String, _ kind: PrometheusTextfile.Kind, _ value: (LaneCounters) -> Double)
            -> PrometheusTextfile.Family
        {
            .init(
                name: name, help: help, kind: kind,
                samples: lanes.map { .init(laneLabels($0.key), value($0.value)) })
        }
        var transitions = PrometheusTextfile.Family(
            name: "wechatpay_watcher_transitions_total", help: "State transitions recorded, by resource and new state.",
            kind: .counter)
        for (resource, states) in snapshot.transitions {
            for (state, count) in states {
                transitions.samples.append(.init(["resource": resource, "state": state], Double(count)))
            }
        }
        return PrometheusTextfile(families: [
            requests,
            transitions,
            perLane("wechatpay_watcher_pending", "Rows still being watched.", .gauge) { Double($0.pending) },
            perLane(
                "wechatpay_watcher_oldest_pending_seconds", "Age of the oldest unfinished row.", .gauge
            ) { $0.oldestPendingAge ?? 0 },
            perLane(
                "wechatpay_watcher_verification_failures_total", "2xx answers that failed signature verification.",
                .counter
            ) { Double($0.verificationFailures) },
            perLane("wechatpay_watcher_throttled_total", "429 answers.", .counter) { Double($0.throttled) },
            perLane("wechatpay_watcher_rate", "The limiter's current rate in requests per second.", .gauge) { $0.rate },
        ])
    }
}

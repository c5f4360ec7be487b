import Foundation
import Testing
import WatcherSystemd

@Suite("PrometheusTextfile")
struct PrometheusTextfileTests {
    private let requests = PrometheusTextfile.Family(
        name: "wechatpay_watcher_requests_total", help: "Requests sent.", kind: .counter,
        samples: [
            .init(["merchant": "1900000002", "api": "image", "status": "200"], 3),
            .init(["status": "429", "merchant": "1900000001", "api": "image"], 12),
            .init(["merchant": "1900000001", "api": "image", "status": "200"], 1_234_567),
        ])
    private let pending = PrometheusTextfile.Family(
        name: "wechatpay_watcher_pending", help: "Rows still being watched.", kind: .gauge, samples: [.init([:], 7)])

    @Test("families sorted by name, each with HELP and TYPE, samples sorted by their sorted labels")
    func render() {
        let file = PrometheusTextfile(families: [requests, pending])
        #expect(
            file.render() == """
                # HELP wechatpay_watcher_pending Rows still being watched.
                # TYPE wechatpay_watcher_pending gauge
                wechatpay_watcher_pending 7
                # HELP wechatpay_watcher_requests_total Requests sent.
                # TYPE wechatpay_watcher_requests_total counter
                wechatpay_watcher_requests_total{api="image",merchant="1900000001",status="200"} 1234567
                wechatpay_watcher_requests_total{api="image",merchant="1900000001",status="429"} 12
                wechatpay_watcher_requests_total{api="image",merchant="1900000002",status="200"} 3

                """)
        #expect(PrometheusTextfile(families: [pending, requests]).render() == file.render(), "order does not matter")
    }

    @Test("label values escape backslash, quote and newline; HELP escapes backslash and newline only")
    func escaping() {
        let family = PrometheusTextfile.Family(
            name: "errors", help: "Last \"error\" seen\nper C:\\path", kind: .gauge,
            samples: [.init(["error": "a \"quoted\"\nC:\\dir"], 1)])
        #expect(
            PrometheusTextfile(families: [family]).render() == #"""
                # HELP errors Last "error" seen\nper C:\\path
                # TYPE errors gauge
                errors{error="a \"quoted\"\nC:\\dir"} 1

                """#)
    }

    @Test(
        "values are written as Prometheus parses them",
        arguments: [
            (0, "0"), (-3, "-3"), (0.5, "0.5"), (1e-05, "1e-05"), (2.5e20, "2.5e+20"), (.nan, "NaN"),
            (.infinity, "+Inf"), (-.infinity, "-Inf"),
        ] as [(Double, String)])
    func values(value: Double, text: String) {
        let family = PrometheusTextfile.Family(name: "x", help: "x", kind: .gauge, samples: [.init([:], value)])
        #expect(PrometheusTextfile(families: [family]).render().hasSuffix("\nx \(text)\n"))
    }

    @Test("a family without samples still declares its HELP and TYPE")
    func emptyFamily() {
        let family = PrometheusTextfile.Family(name: "x_total", help: "Nothing yet.", kind: .counter)
        #expect(
            PrometheusTextfile(families: [family]).render() == "# HELP x_total Nothing yet.\n# TYPE x_total counter\n")
    }

    @Test(
        "names the format does not allow, and duplicates, are refused before anything is written",
        arguments: [
            (
                [PrometheusTextfile.Family(name: "2xx_total", help: "", kind: .counter)],
                PrometheusTextfileError.invalidMetricName("2xx_total")
            ),
            ([.init(name: "wechat-pay", help: "", kind: .gauge)], .invalidMetricName("wechat-pay")),
            ([.init(name: "", help: "", kind: .gauge)], .invalidMetricName("")),
            (
                [.init(name: "x", help: "", kind: .gauge, samples: [.init(["mer chant": "1"], 1)])],
                .invalidLabelName(metric: "x", label: "mer chant")
            ),
            (
                [.init(name: "x", help: "", kind: .gauge, samples: [.init(["__name__": "y"], 1)])],
                .invalidLabelName(metric: "x", label: "__name__")
            ),
            (
                [.init(name: "x", help: "", kind: .gauge), .init(name: "x", help: "", kind: .counter)],
                .duplicateFamily("x")
            ),
            (
                [.init(name: "x", help: "", kind: .gauge, samples: [.init(["a": "1"], 1), .init(["a": "1"], 2)])],
                .duplicateSample(metric: "x", labels: "{a=\"1\"}")
            ),
        ] as [([PrometheusTextfile.Family], PrometheusTextfileError)])
    func invalid(families: [PrometheusTextfile.Family], expected: PrometheusTextfileError) {
        let folder = TemporaryFolder()
        let path = folder.file("metrics.prom")
        #expect(throws: expected) { try PrometheusTextfile(families: families).write(to: path) }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("names with colons, digits and underscores are fine")
    func validNames() {
        let family = PrometheusTextfile.Family(
            name: "job:wechatpay_watcher_rate5m", help: "", kind: .gauge, samples: [.init(["_api2": "x"], 1)])
        #expect(throws: Never.self) { try PrometheusTextfile(families: [family]).validate() }
    }

    @Test("write replaces the file whole, with mode 0644, and leaves no temporary file")
    func atomicWrite() throws {
        let folder = TemporaryFolder()
        let path = folder.file("wechatpay_watcher.prom")
        let old = PrometheusTextfile(families: [pending])
        try old.write(to: path)
        // A reader that opened the old file keeps reading the old file: the new one is a rename, not a rewrite.
        let reader = try #require(FileHandle(forReadingAtPath: path))
        defer { try? reader.close() }
        let new = PrometheusTextfile(families: [requests, pending])
        try new.write(to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == new.render())
        #expect(String(decoding: try reader.readToEnd() ?? Data(), as: UTF8.self) == old.render())
        #expect(permissions(of: path) == 0o644)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["wechatpay_watcher.prom"])
    }

    @Test("a folder that does not exist is reported with the path, also through localizedDescription")
    func missingFolder() throws {
        let folder = TemporaryFolder()
        let path = folder.file("absent/wechatpay_watcher.prom")
        let error = try #require(
            #expect(throws: PrometheusTextfileError.self) {
                try PrometheusTextfile(families: [pending]).write(to: path)
            })
        guard case .writeFailed(path, _, ENOENT) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(
            error.description
                == "cannot write the metrics file \(path): create a temporary file in \(folder.file("absent")): "
                + "No such file or directory",
            "the same each time (no random name), so it is logged once")
        #expect((error as any Error).localizedDescription == error.description)
    }
}

// swift-tools-version: 6.2
//
// wechatpay-watcher: a daemon that watches WeChat Pay APIv3 partner jobs until they finish.
//
// The layout is the architecture. Dependencies point one way, from the executable down to the C libraries:
//
//   wechatpay-watcher ─▶ WatcherCLI ─▶ ImageGenerationTasks, ProductCoupons (one module per resource kind:
//                                      its table, migrations and API; listed in Setup.kinds)
//                                   ─▶ WatcherSystemd (sd_notify, watchdog, instance lock, metrics textfile, sandbox views)
//                                   ─▶ WatcherEngine ─▶ WeChatPay ─▶ WatcherCrypto ─▶ COpenSSL
//                                                    ─▶ WatcherStore ─▶ WatcherSQLite ─▶ CSQLite
//                                   ─▶ WatcherConfig, WeChatPaySimulator ─▶ LoopbackHTTPServer ─▶ WatcherCrypto
//   WatcherEngine ─▶ WatcherServices (Service, ServiceGroup: the daemon's parts started in order, stopped in reverse).
//   WatcherPOSIX (files with exact modes, secret-file permissions, temporary folders, shell quoting, poll(2)
//   timeouts) is under WatcherCrypto, LoopbackHTTPServer, WeChatPay, WatcherEngine and WatcherCLI.
//   WatcherLog is the leaf every layer logs through (and the one RFC 3339 timestamp codec); WatcherSync (one
//   pthread-backed lock) is below everything.
//
// No Swift package dependencies: Foundation, Dispatch, Synchronization and two system libraries.

import PackageDescription

let strictSettings: [SwiftSetting] = [
    .treatAllWarnings(as: .error),
    .enableUpcomingFeature("ExistentialAny"),
]

var targets: [Target] = [
    // C system libraries, through module maps only.
    .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
    .systemLibrary(name: "COpenSSL", providers: [.apt(["libssl-dev"])]),

    // Leaves: the lock every module shares, then the log and the wrappers of the C libraries.
    .target(name: "WatcherSync"),
    .target(name: "WatcherLog", dependencies: ["WatcherSync"]),
    // System-call helpers: small files with exact modes, the secret-file permission rule, temporary folders,
    // shell quoting for suggested commands, durations as poll(2) and clocks take them.
    .target(name: "WatcherPOSIX"),
    .target(name: "WatcherCrypto", dependencies: ["COpenSSL", "WatcherPOSIX", "WatcherSync"]),
    .target(name: "WatcherSQLite", dependencies: ["CSQLite", "WatcherSync"]),
    .target(name: "LoopbackHTTPServer", dependencies: ["COpenSSL", "WatcherCrypto", "WatcherPOSIX", "WatcherSync"]),
    // Services with one run() each, started in order and stopped in reverse by one group.
    .target(name: "WatcherServices", dependencies: ["WatcherSync"]),

    // The WeChat Pay APIv3 protocol: signing, verification, transport, failover.
    .target(
        name: "WeChatPay", dependencies: ["COpenSSL", "WatcherCrypto", "WatcherLog", "WatcherPOSIX", "WatcherSync"]),
    // The SQLite work queue: its own tables and migrations, each kind's applied after them, due rows, transitions.
    .target(name: "WatcherStore", dependencies: ["WatcherSQLite", "WatcherLog"]),
    // The watcher: resource kinds, rate limits, scheduling, the polling engine.
    .target(
        name: "WatcherEngine",
        dependencies: ["WeChatPay", "WatcherStore", "WatcherLog", "WatcherPOSIX", "WatcherServices", "WatcherSync"]),

    // One module per resource kind.
    .target(
        name: "ImageGenerationTasks", dependencies: ["WatcherEngine", "WeChatPay", "WatcherStore", "WatcherSQLite"]),
    .target(name: "ProductCoupons", dependencies: ["WatcherEngine", "WeChatPay", "WatcherStore", "WatcherSQLite"]),

    // The service manager's side: sd_notify, watchdog, one instance per database, metrics textfile.
    .target(name: "WatcherSystemd", dependencies: ["WatcherLog", "WatcherSync"]),

    // Configuration file loading and validation.
    .target(name: "WatcherConfig", dependencies: ["WatcherLog"]),
    // A stand-in for WeChat Pay on loopback: signs answers, enforces 20/s, injects faults.
    .target(
        name: "WeChatPaySimulator",
        dependencies: [
            "WeChatPay", "WatcherCrypto", "WatcherLog", "WatcherConfig", "LoopbackHTTPServer", "WatcherSync",
        ]
    ),

    // The command line: every command of the executable, as a library so tests can reach it.
    .target(
        name: "WatcherCLI",
        dependencies: [
            "WatcherEngine", "ImageGenerationTasks", "ProductCoupons", "WatcherSystemd", "WatcherConfig",
            "WeChatPaySimulator",
            "WeChatPay", "WatcherStore", "WatcherSQLite", "WatcherLog", "WatcherCrypto", "WatcherPOSIX",
            "WatcherServices", "WatcherSync",
        ]
    ),
    .executableTarget(name: "wechatpay-watcher", dependencies: ["WatcherCLI"]),

    // Shared test helpers: fixed keys, fake clock, fake transport, temporary directories.
    .target(
        name: "WatcherTestSupport",
        dependencies: ["WatcherCrypto", "WatcherLog", "WatcherPOSIX", "WeChatPay", "WatcherEngine", "WatcherSync"],
        path: "Tests/WatcherTestSupport"
    ),

    .testTarget(name: "WatcherSyncTests", dependencies: ["WatcherSync"]),
    .testTarget(name: "WatcherServicesTests", dependencies: ["WatcherServices", "WatcherSync"]),
    .testTarget(name: "WatcherLogTests", dependencies: ["WatcherLog"]),
    .testTarget(name: "WatcherCryptoTests", dependencies: ["WatcherCrypto", "WatcherTestSupport"]),
    .testTarget(name: "WatcherSQLiteTests", dependencies: ["WatcherSQLite"]),
    .testTarget(
        name: "LoopbackHTTPServerTests",
        dependencies: ["LoopbackHTTPServer", "WatcherCrypto", "COpenSSL", "WatcherSync", "WatcherTestSupport"]),
    .testTarget(
        name: "WeChatPayTests",
        dependencies: ["WeChatPay", "WeChatPaySimulator", "WatcherTestSupport", "WatcherCrypto", "LoopbackHTTPServer"]
    ),
    .testTarget(
        name: "WatcherStoreTests",
        dependencies: [
            "WatcherStore", "WatcherSQLite", "WatcherLog", "WatcherTestSupport", "ImageGenerationTasks",
            "ProductCoupons",
        ]),
    .testTarget(
        name: "WatcherEngineTests",
        dependencies: [
            "WatcherEngine", "ImageGenerationTasks", "ProductCoupons", "WatcherStore", "WatcherSQLite", "WeChatPay",
            "WeChatPaySimulator", "WatcherTestSupport",
        ]
    ),
    .testTarget(name: "WatcherConfigTests", dependencies: ["WatcherConfig"]),
    .testTarget(name: "WatcherSystemdTests", dependencies: ["WatcherSystemd"]),
    .testTarget(
        name: "WatcherCLITests",
        dependencies: [
            "WatcherCLI", "WatcherEngine", "WatcherSystemd", "WeChatPay", "WeChatPaySimulator", "WatcherCrypto",
            "WatcherLog", "WatcherTestSupport",
        ]
    ),
    .testTarget(
        name: "ProductCouponsTests",
        dependencies: ["ProductCoupons", "WatcherEngine", "WatcherStore", "WatcherSQLite", "WeChatPay"]
    ),
    .testTarget(
        name: "WeChatPaySimulatorTests",
        dependencies: ["WeChatPaySimulator", "WeChatPay", "WatcherCrypto", "LoopbackHTTPServer", "WatcherTestSupport"]
    ),
    .testTarget(
        name: "EndToEndTests",
        dependencies: [
            "WeChatPaySimulator", "LoopbackHTTPServer", "WatcherSQLite", "WatcherStore", "WatcherCrypto", "WatcherLog",
            "WatcherTestSupport",
            "WatcherSync",
        ]
    ),
]

for index in targets.indices where targets[index].type != .system {
    targets[index].swiftSettings = (targets[index].swiftSettings ?? []) + strictSettings
}

let package = Package(
    name: "wechatpay-watcher",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "wechatpay-watcher", targets: ["wechatpay-watcher"])
    ],
    targets: targets
)

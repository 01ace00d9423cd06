// swift-tools-version:6.0
import PackageDescription

// Modules follow the data flow of DESIGN.md; none imports a later stage:
// CZlib/CIsal/CPCRE2 (C shims) → PullwatchIO → PullwatchRecords → PullwatchRules → pullwatch (CLI glue).
let package = Package(
    name: "pullwatch",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "pullwatch", targets: ["pullwatch"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        .systemLibrary(name: "CZlib", path: "Sources/CZlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CPCRE2", path: "Sources/CPCRE2", pkgConfig: "libpcre2-8",
                       providers: [.apt(["libpcre2-dev"])]),
        .systemLibrary(name: "CIsal", path: "Sources/CIsal", pkgConfig: "libisal",
                       providers: [.apt(["libisal-dev"])]),
        .target(name: "PullwatchIO", dependencies: ["CZlib", "CIsal"]),
        .target(name: "PullwatchRecords", dependencies: ["PullwatchIO"]),
        .target(name: "PullwatchRules", dependencies: ["PullwatchRecords", "CPCRE2", "Yams"],
                plugins: ["EmbedRulesPlugin"]),
        .target(name: "PullwatchAnalysis", dependencies: ["PullwatchRules", "PullwatchRecords", "PullwatchIO"]),
        .target(name: "PullwatchReport", dependencies: ["PullwatchAnalysis", "PullwatchRules", "PullwatchRecords"]),
        .target(name: "PullwatchState", dependencies: ["PullwatchAnalysis", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(name: "PullwatchServe", dependencies: [
            "PullwatchFollow", "PullwatchState", "PullwatchReport", "PullwatchAnalysis", "PullwatchRules", "PullwatchRecords", "PullwatchIO",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        .target(name: "PullwatchFollow", dependencies: ["PullwatchState", "PullwatchAnalysis", "PullwatchRules", "PullwatchRecords", "PullwatchIO",
                                                      .product(name: "Subprocess", package: "swift-subprocess")]),
        // Embeds rules/*.yaml into the binary at build time (no files needed at run time).
        .executableTarget(name: "EmbedRules", path: "Plugins/EmbedRules"),
        .plugin(name: "EmbedRulesPlugin", capability: .buildTool(), dependencies: ["EmbedRules"]),
        .executableTarget(name: "pullwatch", dependencies: [
            "PullwatchIO", "PullwatchRecords", "PullwatchRules", "PullwatchAnalysis", "PullwatchReport", "PullwatchState", "PullwatchFollow", "PullwatchServe",
            .product(name: "Subprocess", package: "swift-subprocess"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Helpers shared by the test targets.
        .target(name: "PullwatchTestSupport", dependencies: ["PullwatchState", "PullwatchRecords", "PullwatchIO"], path: "Tests/PullwatchTestSupport"),
        .testTarget(name: "PullwatchIOTests", dependencies: ["PullwatchIO", "PullwatchTestSupport"]),
        .testTarget(name: "PullwatchRecordsTests", dependencies: ["PullwatchRecords", "PullwatchIO", "PullwatchTestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "PullwatchRulesTests", dependencies: ["PullwatchRules", "PullwatchRecords"]),
        .testTarget(name: "PullwatchStateTests", dependencies: ["PullwatchState", "PullwatchFollow", "PullwatchTestSupport", "PullwatchAnalysis", "PullwatchReport", "PullwatchRules",
                                                          "PullwatchRecords", "PullwatchIO", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "PullwatchFollowTests", dependencies: ["PullwatchFollow", "PullwatchState", "PullwatchTestSupport", "PullwatchAnalysis", "PullwatchRules",
                                                           "PullwatchRecords", "PullwatchIO"]),
        .testTarget(name: "PullwatchServeTests", dependencies: ["PullwatchServe", "PullwatchState", "PullwatchAnalysis", "PullwatchRules",
                                                          "PullwatchTestSupport",
                                                          .product(name: "NIOCore", package: "swift-nio"),
                                                          .product(name: "NIOEmbedded", package: "swift-nio"),
                                                          .product(name: "NIOTestUtils", package: "swift-nio")]),
        .testTarget(name: "PullwatchReportTests", dependencies: ["PullwatchReport", "PullwatchAnalysis", "PullwatchRules", "PullwatchRecords"]),
        .testTarget(name: "PullwatchAnalysisTests", dependencies: ["PullwatchAnalysis", "PullwatchReport", "PullwatchTestSupport", "PullwatchRules", "PullwatchRecords", "PullwatchIO"]),
    ]
)

// Helpers shared by the test targets (a target of its own: test targets cannot import each other).
import Foundation
import PullwatchRecords
import PullwatchState

/// A seeded generator (SplitMix64): random tests that repeat exactly.
public struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A state database in a fresh temporary directory, and the directory.
public func tempStore() throws -> (StateStore, String) {
    let dir = NSTemporaryDirectory() + "pullwatch-test-\(UUID().uuidString)"
    return (try StateStore(directory: dir), dir)
}

/// A record of `line` on node-a at `seconds`.
public func record(_ line: String, at seconds: Int64) -> Record {
    var r = Record(message: line)
    r.timestamp = Timestamp(seconds: seconds)
    r.node = "node-a"
    return r
}

/// A kubelet event's tag_not_found failure.
public let failure = #"Failed to pull image "nginx:1.99": rpc error: code = NotFound desc = "#
    + #"failed to pull and unpack image "docker.io/library/nginx:1.99": "#
    + #"failed to resolve reference "docker.io/library/nginx:1.99": docker.io/library/nginx:1.99: not found"#

import PullwatchAnalysis
public enum HTMLReport { public static func render(_ r: Report) -> String { "" } }

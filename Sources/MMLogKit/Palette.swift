// One colour per frame owner, the same in every figure of the page.

enum Palette {
    static let free = "#eef1f5"
    static let reserved = "#4a4f57"
    static let hole = "#ffffff"
    static let kernelHeap = "#e4572e"
    static let kernelHeapLarge = "#f3a712"
    static let kernelTables = "#8d99ae"
    static let demo = "#9bc53d"
    static let processes = [
        "#2e86ab", "#7b2cbf", "#06a77d", "#d81159", "#3d5a80", "#ff7f11", "#118ab2", "#8f2d56",
        "#5f0f40", "#0b6e4f",
    ]

    static func process(_ pid: Int) -> String { processes[(max(1, pid) - 1) % processes.count] }

    /// Figures group a process's pages and its page tables under one colour.
    static func group(_ owner: FrameOwnerKey) -> String {
        if let pid = owner.process { return "pid:\(pid)" }
        return owner.kind == "page-table" ? "page-table:0" : owner.kind
    }

    static func color(group: String) -> String {
        switch group {
        case "heap": kernelHeap
        case "heap-large": kernelHeapLarge
        case "page-table:0": kernelTables
        case "demo": demo
        default:
            if group.hasPrefix("pid:"), let pid = Int(group.dropFirst(4)) { process(pid) } else { "#b07aa1" }
        }
    }
}

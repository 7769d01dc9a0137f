// The summary line checked against the events: each figure the kernel printed is recomputed
// from the lines before it. A disagreement means the log (or the kernel's accounting) is wrong;
// a figure the log's level cannot show (frames need LOG=trace) is said to be unchecked.

public struct SummaryCheck: Sendable {
    public enum Outcome: String, Sendable { case agrees, disagrees, unchecked }
    public var name: String
    public var summaryValue: String
    public var eventValue: String
    public var outcome: Outcome
    public var note: String
}

extension RunModel {
    public var summaryChecks: [SummaryCheck] {
        guard let summary else { return [] }
        var checks: [SummaryCheck] = []
        func add(_ name: String, _ computed: Int?, why: String, unchecked: String) {
            let printed = summary[name] ?? "absent"
            guard let computed else {
                checks.append(
                    SummaryCheck(name: name, summaryValue: printed, eventValue: "-", outcome: .unchecked, note: unchecked))
                return
            }
            let agrees = Int(printed) == computed
            checks.append(
                SummaryCheck(
                    name: name, summaryValue: printed, eventValue: String(computed),
                    outcome: agrees ? .agrees : .disagrees, note: why))
        }
        let noFrames = "needs LOG=trace (frame events)"
        add("processes", processes.count, why: "proc start lines", unchecked: "")
        add("processes_killed", processes.filter { $0.status == "killed" }.count, why: "proc end status=killed", unchecked: "")
        add("heap_errors", heapBadFrees.count, why: "heap bad-free lines", unchecked: "")
        add("frames_total", totalFrames, why: "pmm frames total=", unchecked: "no pmm frames line")
        let bootFree = freeFramesAtBoot
        add(
            "frames_free_boot", bootFree, why: "pmm frames free= minus frames allocated before the heap was ready",
            unchecked: noFrames)
        add(
            "frames_free_exit", freeFramesAtExit, why: "pmm frames free= minus frames allocated and not freed",
            unchecked: noFrames)
        add(
            "heap_live_bytes", hasHeapTrace ? heapLiveBytes : nil, why: "blocks of heap alloc lines without a free",
            unchecked: "needs LOG=trace (heap events)")
        add(
            "heap_peak_bytes", hasHeapTrace ? heapPeakLiveBytes : nil, why: "most bytes live over the heap alloc/free lines",
            unchecked: "needs LOG=trace (heap events)")
        if summary["cow_copies"] != nil {
            add(
                "cow_copies", hasObjectTrace ? cowCopyFaults : nil, why: "obj fault kind=cow-copy lines",
                unchecked: "needs LOG=debug (object faults)")
        }
        return checks
    }

    public var freeFramesAtBoot: Int? {
        guard hasFrameTrace, let start = freeFramesAtAllocatorStart else { return nil }
        return start - allocatedAfter(events: bootEventCount)
    }

    public var freeFramesAtExit: Int? {
        guard hasFrameTrace, let start = freeFramesAtAllocatorStart else { return nil }
        return start - (allocatedSeries.last?.frames ?? 0)
    }

    func allocatedAfter(events count: Int) -> Int { count == 0 ? 0 : allocatedSeries[count - 1].frames }

    /// Frames allocated and never freed, by owner (at the end of the log).
    public var leakedFramesByOwner: [FrameOwnerKey: Int] {
        framesByOwner(afterEvents: frameEvents.count)
    }

    /// Heap blocks allocated and never freed, grouped by caller kind and block size.
    public var heapLeaks: [(caller: String, block: Int, count: Int, firstLine: Int)] {
        var groups: [String: (caller: String, block: Int, count: Int, firstLine: Int)] = [:]
        for block in liveHeapBlocks.values {
            let key = "\(block.caller)/\(block.block)"
            var group = groups[key] ?? (block.caller, block.block, 0, block.lineNumber)
            group.count += 1
            group.firstLine = min(group.firstLine, block.lineNumber)
            groups[key] = group
        }
        return groups.values.sorted { ($0.caller, $0.block) < ($1.caller, $1.block) }
    }
}

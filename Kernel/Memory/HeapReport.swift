// Reporting the kernel heap on the serial log: a per-order table (like Linux's
// /proc/buddyinfo) at `debug`, a compact summary at `info`.
import KernelLog
import BuddyHeap

enum HeapReport {
    /// One line per order that has free or cached blocks, after a demo phase.
    static func orders(after phase: StaticString) {
        freeLists(reason: phase)
        guard log.isEnabled(.debug), let heap = KernelHeap.heap else { return }
        let stats = heap.statistics
        log.line(.debug, "heap", "buddyinfo").text("after", phase).dec("arenas", stats.arenasHeld)
            .dec("live_allocations", stats.liveAllocations).size("live", UInt64(stats.liveBlockBytes + stats.liveLargeBytes))
            .end()
        for raw in 0 ..< stats.freeBlocks.orderCount {
            let order = BlockOrder(raw)
            let free = stats.freeBlocks[order], cached = stats.cachedBlocks[order]
            guard free + cached > 0 else { continue }
            log.line(.debug, "heap", "order").dec("order", raw).size("block", UInt64(order.byteCount))
                .dec("free", free).dec("cached", cached).end()
        }
    }

    /// At `trace`, every `freeListInterval` heap operations: the free and cached block counts
    /// of every order on one line (`free=o0,o1,...`), so a log tool can draw fragmentation
    /// over time without re-simulating the heap (whose per-order caches it cannot see).
    static func traceFreeLists() {
        operationsSinceFreeLists += 1
        guard operationsSinceFreeLists >= freeListInterval else { return }
        freeLists(reason: "interval")
    }

    static let freeListInterval = 64
    nonisolated(unsafe) private static var operationsSinceFreeLists = 0

    /// One `heap freelists` line now (at `trace`).
    static func freeLists(reason: StaticString) {
        guard log.isEnabled(.trace), let heap = KernelHeap.heap else { return }
        operationsSinceFreeLists = 0
        let stats = heap.statistics
        let line = log.line(.trace, "heap", "freelists").text("why", reason).dec("arenas", stats.arenasHeld)
            .dec("live_bytes", UInt64(stats.liveBlockBytes + stats.liveLargeBytes))
        writeCounts(line, "free", stats.freeBlocks)
        writeCounts(line, "cached", stats.cachedBlocks)
        line.end()
    }

    private static func writeCounts(_ line: LogLine<SerialSink>, _ key: StaticString, _ counts: OrderCounts) {
        line.list(key, count: counts.orderCount) { counts[BlockOrder($0)] }
    }

    /// The compact `info` summary of the heap's life so far.
    static func summary() {
        guard let heap = KernelHeap.heap else { return }
        let stats = heap.statistics
        log.line(.info, "heap", "stats").dec("allocs", stats.allocations).dec("frees", stats.frees)
            .dec("splits", stats.splits).dec("merges", stats.merges).size("peak_live", UInt64(stats.peakLiveBytes))
            .dec("peak_arenas", stats.peakArenasHeld).dec("arenas_taken", stats.arenasAcquired)
            .dec("arenas_given", stats.arenasReleased).dec("errors", stats.errorsDetected)
            .dec("requested_total", stats.requestedBytesTotal)
            .dec("granted_total", stats.grantedBytesTotal).end()
    }

    /// Hands every empty arena back to the frame allocator before power-off, so the summary's
    /// free-frame count can be compared with the count at boot.
    static func shutdown() {
        guard KernelHeap.isReady else { return }
        freeLists(reason: "before-trim")
        KernelHeap.heap!.trim()
        freeLists(reason: "after-trim")
        let stats = KernelHeap.heap!.statistics
        log.line(.info, "heap", "trimmed").dec("arenas_left", stats.arenasHeld).size(
            "live", UInt64(stats.liveBlockBytes + stats.liveLargeBytes)
        ).end()
    }
}

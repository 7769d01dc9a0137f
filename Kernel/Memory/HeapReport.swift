// Reporting the kernel heap on the serial log: a per-order table (like Linux's
// /proc/buddyinfo) at `debug`, a compact summary at `info`.
import KernelLog
import BuddyHeap

enum HeapReport {
    /// One line per order that has free or cached blocks, after a demo phase.
    static func orders(after phase: StaticString) {
        guard log.isEnabled(.debug), let heap = KernelHeap.heap else { return }
        let stats = heap.statistics
        log.line(.debug, "heap", "buddyinfo").text("after", phase).dec("arenas", stats.arenasHeld)
            .dec("live_allocations", stats.liveAllocations).size("live", UInt64(stats.liveBlockBytes + stats.liveLargeBytes)).end()
        for raw in 0..<stats.freeBlocks.orderCount {
            let order = BlockOrder(raw)
            let free = stats.freeBlocks[order], cached = stats.cachedBlocks[order]
            guard free + cached > 0 else { continue }
            log.line(.debug, "heap", "order").dec("order", raw).size("block", UInt64(order.byteCount))
                .dec("free", free).dec("cached", cached).end()
        }
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
        KernelHeap.heap!.trim()
        let stats = KernelHeap.heap!.statistics
        log.line(.info, "heap", "trimmed").dec("arenas_left", stats.arenasHeld).size("live", UInt64(stats.liveBlockBytes + stats.liveLargeBytes)).end()
    }
}

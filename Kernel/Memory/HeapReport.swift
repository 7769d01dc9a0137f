// Reporting the kernel heap on the serial log: a per-order table of the buddy heap beneath
// (like Linux's /proc/buddyinfo) at `debug`, a compact summary at `info`, and the slab layer's
// caches (like /proc/slabinfo): named caches at `info`, generic classes in use at `debug`.
import KernelLog
import BuddyHeap
import SlabHeap

enum HeapReport {
    /// One line per order that has free or cached blocks, after a demo phase.
    static func orders(after phase: StaticString) {
        freeLists(reason: phase)
        guard log.isEnabled(.debug), KernelHeap.isReady else { return }
        let stats = KernelHeap.statistics
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
        guard log.isEnabled(.trace), KernelHeap.isReady else { return }
        operationsSinceFreeLists = 0
        let stats = KernelHeap.buddyStatistics
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
        guard KernelHeap.isReady else { return }
        slabCaches()
        let stats = KernelHeap.statistics
        log.line(.info, "heap", "stats").dec("allocs", stats.allocations).dec("frees", stats.frees)
            .dec("splits", stats.splits).dec("merges", stats.merges).size("peak_live", UInt64(stats.peakLiveBytes))
            .dec("peak_arenas", stats.peakArenasHeld).dec("arenas_taken", stats.arenasAcquired)
            .dec("arenas_given", stats.arenasReleased).dec("errors", stats.errorsDetected)
            .dec("requested_total", stats.requestedBytesTotal)
            .dec("granted_total", stats.grantedBytesTotal).end()
    }

    /// The slab layer at shutdown: one `heap slabs` line, then one `heap cache` line per named
    /// cache (info) and per generic class that served anything (debug). A named cache a boot with
    /// processes never used is a `warn`: its size no longer matches the object it was measured for.
    static func slabCaches() { writeSlabCaches(to: log, subsystem: "heap", atShutdown: true) }

    /// The slab lines for `out` under `subsystem` (the shutdown report, or the monitor's `slabs`
    /// command, which shows every cache that served anything at info and warns about nothing).
    static func writeSlabCaches(to out: Logger<SerialSink>, subsystem: StaticString, atShutdown: Bool) {
        guard KernelHeap.isReady else { return }
        let slabs = KernelHeap.slabStatistics
        out.line(.info, subsystem, "slabs").size("smallest_slab", UInt64(slabs.slabBytes))
            .size("largest_slab", UInt64(slabs.largestSlabBytes)).dec("slabs_held", slabs.slabsHeld)
            .size("slab_bytes_held", UInt64(slabs.slabBytesHeld))
            .dec("live_objects", slabs.liveObjects).size("live_object_bytes", UInt64(slabs.liveObjectBytes))
            .dec("slabs_taken", slabs.slabsTaken).dec("slabs_given", slabs.slabsReturned)
            .dec("served_by_larger_class", slabs.servedByLargerClass).dec("errors", slabs.errorsDetected).end()
        for index in 0 ..< KernelHeap.cacheCount {
            let cache = KernelHeap.cacheStatistics(index)
            let named = KernelObjectCaches.isNamed(index)
            let unused = atShutdown && named && cache.allocations == 0 && Processes.started > 0
            let level: LogLevel = unused ? .warn : (named || !atShutdown ? .info : .debug)
            guard out.isEnabled(level), named || cache.allocations > 0 else { continue }
            out.line(level, subsystem, "cache").text("name", cache.name).dec("object", cache.objectBytes)
                .size("slab", UInt64(cache.bytesPerSlab)).dec("per_slab", cache.objectsPerSlab).dec("slabs", cache.slabs).dec(
                    "live", cache.liveObjects
                )
                .dec("allocs", cache.allocations).dec("frees", cache.frees).end()
        }
    }

    /// Hands every empty arena back to the frame allocator before power-off, so the summary's
    /// free-frame count can be compared with the count at boot.
    static func shutdown() {
        guard KernelHeap.isReady else { return }
        freeLists(reason: "before-trim")
        KernelHeap.trim()
        freeLists(reason: "after-trim")
        let stats = KernelHeap.statistics
        log.line(.info, "heap", "trimmed").dec("arenas_left", stats.arenasHeld).size(
            "live", UInt64(stats.liveBlockBytes + stats.liveLargeBytes)
        ).end()
    }
}

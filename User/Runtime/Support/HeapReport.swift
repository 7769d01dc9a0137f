// Console reports about the program's heap: its statistics and the outcome of its invariant walk.
// Nothing here allocates.
import KernelLog
import UserMalloc

extension ProgramHeap {
    /// One `<word> heap ...` line with UserHeap's counters and the page source's syscall count.
    static func report(_ word: StaticString) {
        let stats = heap.statistics
        Console.line(word).word("heap").dec("live_bytes", stats.liveBytes).dec("peak_live_bytes", stats.peakLiveBytes)
            .dec("held_bytes", stats.heldBytes).dec("peak_held_bytes", stats.peakHeldBytes)
            .dec("small_spans", stats.smallSpans).dec("cached_empty_spans", stats.cachedEmptySpans)
            .dec("medium_regions", stats.mediumRegions).dec("live_medium_blocks", stats.liveMediumBlocks)
            .dec("large_blocks", stats.largeBlocks).dec("cached_large_blocks", stats.cachedLargeBlocks)
            .dec("directory_bytes", stats.directoryBytes).dec("map_calls", stats.mapCalls)
            .dec("unmap_calls", stats.unmapCalls).dec("page_source_syscalls", heap.source.syscalls)
            .dec("kernel_refusals", heap.source.kernelRefusals).dec("window_granules", heap.source.windowGranules)
            .dec("hints_refused", heap.source.hintsRefused).dec("window_misses", heap.source.windowMisses).end()
    }

    /// Walks the whole heap and the page source's window bookkeeping; true when both are
    /// consistent, else prints which is not and false.
    static func isConsistent(_ word: StaticString) -> Bool {
        if heap.checkInvariants() != nil {
            Console.line(word).word("FAILED").phrase("reason", "heap invariant violated").end()
            return false
        }
        guard heap.source.windowIsConsistent else {
            Console.line(word).word("FAILED").phrase("reason", "page source window invariant violated").end()
            return false
        }
        return true
    }

    /// The page source's bytes agree with the heap's own count of bytes held.
    static var sourceAgrees: Bool {
        heap.source.bytesMapped == UInt64(heap.statistics.heldBytes) && heap.source.kernelRefusals == 0
    }
}

/// One `<word> memstat ...` line.
func reportMemstat(_ word: StaticString) {
    guard let stats = try? Syscall.memstat() else {
        Console.line(word).word("memstat").word("failed").end()
        return
    }
    Console.line(word).word("memstat").dec("pages_mapped", stats.pagesMapped).dec("peak_pages_mapped", stats.peakPagesMapped)
        .dec("map_calls", stats.mapCalls).dec("unmap_calls", stats.unmapCalls).dec("brk_calls", stats.brkCalls)
        .hex("break_start", stats.breakStart).hex("break_current", stats.breakCurrent)
        .dec("free_frames_system", stats.freeFramesSystem).end()
}

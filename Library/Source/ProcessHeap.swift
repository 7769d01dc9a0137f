// The process's heap: one UserHeap over MmapPageSource, behind Exports.c's C malloc family.
//
// Exports.c holds the lock around every function here; nothing in this file is thread-safe on its
// own. The heap is a lazily initialised global: the first malloc of the process (possibly from
// ld.so or libc, before any constructor) initialises it through the Embedded runtime's
// swift_once, which allocates nothing. Its canary seed is the per-process secret Exports.c draws
// from AT_RANDOM. Misuse goes to `reportMisuse`, which prints one line and aborts (never returns).
import MemoryCore
import UserMalloc

@_extern(c, "swiftmm_process_secret")
func processSecret() -> UInt64

@_extern(c, "swiftmm_report_misuse")
func cReportMisuse(_ kind: UnsafePointer<UInt8>, _ kindLength: Int, _ message: UnsafePointer<UInt8>,
                   _ messageLength: Int, _ pointer: UInt64)

@_extern(c, "swiftmm_line_field")
func cLineField(_ name: UnsafePointer<UInt8>, _ nameLength: Int, _ value: UInt64)

@_extern(c, "swiftmm_line_text")
func cLineText(_ text: UnsafePointer<UInt8>, _ length: Int)

nonisolated(unsafe) var processHeap = UserHeap(
    source: MmapPageSource(), secret: processSecret(), errorHandler: reportMisuse)

func reportMisuse(_ error: HeapError) {
    let kind = error.kindName
    let message = error.message
    cReportMisuse(kind.utf8Start, kind.utf8CodeUnitCount, message.utf8Start, message.utf8CodeUnitCount,
                  error.address.raw)
}

@_cdecl("swiftmm_heap_allocate")
func heapAllocate(_ byteCount: Int) -> UnsafeMutableRawPointer? {
    processHeap.allocate(byteCount: byteCount)
}

@_cdecl("swiftmm_heap_free")
func heapFree(_ pointer: UnsafeMutableRawPointer?) {
    processHeap.free(pointer)
}

@_cdecl("swiftmm_heap_allocate_zeroed")
func heapAllocateZeroed(_ count: Int, _ byteCount: Int) -> UnsafeMutableRawPointer? {
    processHeap.allocateZeroed(count: count, byteCount: byteCount)
}

@_cdecl("swiftmm_heap_reallocate")
func heapReallocate(_ pointer: UnsafeMutableRawPointer?, _ byteCount: Int) -> UnsafeMutableRawPointer? {
    processHeap.reallocate(pointer, byteCount: byteCount)
}

/// posix_memalign: 0, or EINVAL / ENOMEM with `*result` untouched.
@_cdecl("swiftmm_heap_allocate_aligned")
func heapAllocateAligned(_ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ alignment: Int,
                         _ byteCount: Int) -> Int32 {
    do throws(MallocErrno) {
        result.pointee = try processHeap.allocateAligned(byteCount: byteCount, alignment: alignment)
        return 0
    } catch {
        return error.rawValue
    }
}

@_cdecl("swiftmm_heap_usable_size")
func heapUsableSize(_ pointer: UnsafeMutableRawPointer?) -> Int {
    processHeap.usableByteCount(of: pointer)
}

@_cdecl("swiftmm_heap_trim")
func heapTrim() {
    processHeap.trim()
}

/// Appends the heap's counters, the page source's syscall count and the outcome of a full
/// invariant walk to the statistics line Exports.c is building (SWIFTMM_STATS).
@_cdecl("swiftmm_heap_write_statistics")
func heapWriteStatistics() {
    let stats = processHeap.statistics
    func field(_ name: StaticString, _ value: Int) {
        cLineField(name.utf8Start, name.utf8CodeUnitCount, UInt64(truncatingIfNeeded: value))
    }
    field("live_bytes", stats.liveBytes)
    field("peak_live_bytes", stats.peakLiveBytes)
    field("held_bytes", stats.heldBytes)
    field("peak_held_bytes", stats.peakHeldBytes)
    field("small_spans", stats.smallSpans)
    field("cached_empty_spans", stats.cachedEmptySpans)
    field("medium_regions", stats.mediumRegions)
    field("live_medium_blocks", stats.liveMediumBlocks)
    field("large_blocks", stats.largeBlocks)
    field("cached_large_blocks", stats.cachedLargeBlocks)
    field("directory_bytes", stats.directoryBytes)
    field("map_calls", stats.mapCalls)
    field("unmap_calls", stats.unmapCalls)
    field("remap_calls", stats.remapCalls)
    field("mmap_syscalls", processHeap.source.mmapCalls)
    field("munmap_syscalls", processHeap.source.munmapCalls)
    field("mremap_syscalls", processHeap.source.mremapCalls)
    let holds = processHeap.checkInvariants() == nil && processHeap.source.reservationIsConsistent
    let verdict: StaticString = holds ? " invariants=ok" : " invariants=VIOLATED"
    cLineText(verdict.utf8Start, verdict.utf8CodeUnitCount)
}

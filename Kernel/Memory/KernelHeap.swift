// The kernel heap: a buddy heap (Sources/BuddyHeap) over arenas of frames. Every Swift
// allocation in the kernel (class instances, Array and String storage, closures) arrives here
// through posix_memalign/free (Runtime/), and kernel code can call kmalloc/kfree directly.
//
// Before `initialize()` there is no heap: early boot runs on fixed-capacity storage and the bump
// allocator only, and an allocation then is a kernel bug (panic, naming it).
//
// Policy for a bad free (double free, foreign or interior pointer), stated once here:
//   - test kernel (KERNEL_SELFTEST): panic with the pointer and the error, because a test that
//     wants to see detection calls the heap's own `free` and checks the error value;
//   - normal kernel: log the error with the pointer and who freed it, count it, carry on (the
//     heap changed nothing, so carrying on is safe).
import MemoryCore
import KernelLog
import BuddyHeap

/// Who asked for memory: shown in trace lines (`by=swift-runtime`).
enum HeapClient {
    case swiftRuntime, kernel, monitor

    var name: StaticString {
        switch self {
        case .swiftRuntime: "swift-runtime"
        case .kernel: "kmalloc"
        case .monitor: "monitor"
        }
    }
}

enum KernelHeap {
    nonisolated(unsafe) static var heap: BuddyHeap<FrameArenaSource>? = nil
    /// Set once `heap` holds a heap. Checked instead of `heap != nil`, which may copy the whole
    /// heap struct (several KiB of fixed-capacity tables) on every call.
    nonisolated(unsafe) static var isReady = false

    static func initialize() {
        do throws(HeapConfigurationError) {
            heap = try BuddyHeap(source: FrameArenaSource(), configuration: .kernel)
            isReady = true
        } catch {
            panic("kernel heap configuration rejected")
        }
        let largest = UInt64(heap!.largestBlockBytes)
        log.line(.info, "heap", "ready").size("arena", UInt64(heap!.arenaBytes)).size("smallest_block", UInt64(minimumBlockBytes))
            .size("largest_block", largest).text("above_largest", "frames-direct")
            .size("bookkeeping", UInt64(MemoryLayout<BuddyHeap<FrameArenaSource>>.size)).end()
    }

    static func allocate(byteCount: Int, alignment: Int, for client: HeapClient) -> UnsafeMutableRawPointer? {
        guard isReady else { panic("heap allocation before the heap exists", "bytes", UInt64(byteCount)) }
        let pointer = heap!.allocate(byteCount: byteCount, alignment: alignment)
        if log.isEnabled(.trace) {
            traceAllocation(pointer, byteCount: byteCount, alignment: alignment, client: client)
            HeapReport.traceFreeLists()
        } else if pointer == nil {
            log.line(.warn, "heap", "alloc-failed").dec("bytes", byteCount).dec("align", alignment).text("by", client.name).end()
        }
        InvariantChecks.afterChange("heap-allocate", includingProcess: false)
        return pointer
    }

    static func free(_ pointer: UnsafeMutableRawPointer, for client: HeapClient) {
        guard isReady else { panic("heap free before the heap exists", "ptr", UInt64(UInt(bitPattern: pointer))) }
        let tracing = log.isEnabled(.trace)
        let blockBytes = tracing ? heap!.blockByteCount(of: pointer) : nil
        let order = tracing ? heap!.blockOrder(of: pointer) : nil
        do throws(HeapError) {
            try heap!.free(pointer)
            if tracing {
                let line = log.line(.trace, "heap", "free").address("ptr", address(pointer)).dec("block", blockBytes ?? 0)
                if let order { line.dec("order", order.raw) } else { line.text("order", "large") }
                line.text("by", client.name).end()
                HeapReport.traceFreeLists()
            }
        } catch {
            reportBadFree(pointer, error, client: client)
        }
        InvariantChecks.afterChange("heap-free", includingProcess: false)
    }

    private static func traceAllocation(_ pointer: UnsafeMutableRawPointer?, byteCount: Int, alignment: Int, client: HeapClient) {
        guard let pointer else {
            log.line(.trace, "heap", "alloc-failed").dec("size", byteCount).dec("align", alignment).text("by", client.name).end()
            return
        }
        let line = log.line(.trace, "heap", "alloc").address("ptr", address(pointer)).dec("size", byteCount)
            .dec("align", alignment).dec("block", heap!.blockByteCount(of: pointer) ?? 0)
        if let order = heap!.blockOrder(of: pointer) { line.dec("order", order.raw) } else { line.text("order", "large") }
        line.text("by", client.name).end()
    }

    private static func reportBadFree(_ pointer: UnsafeMutableRawPointer, _ error: HeapError, client: HeapClient) {
        log.line(.error, "heap", "bad-free").address("ptr", address(pointer)).text("error", error.name)
            .text("by", client.name).dec("errors_so_far", heap!.statistics.errorsDetected).end()
        #if KERNEL_SELFTEST
        panic("bad free in the test kernel", "ptr", address(pointer))
        #endif
    }

    fileprivate static func address(_ pointer: UnsafeMutableRawPointer) -> UInt64 { UInt64(UInt(bitPattern: pointer)) }
}

/// kmalloc: `byteCount` bytes aligned to `alignment` (a power of two) from the kernel heap, or nil.
@_cdecl("kmalloc")
func kmalloc(_ byteCount: Int, _ alignment: Int) -> UnsafeMutableRawPointer? {
    KernelHeap.allocate(byteCount: byteCount, alignment: alignment, for: .kernel)
}

/// kfree: gives back a pointer kmalloc returned; a bad pointer is reported (see the policy above).
@_cdecl("kfree")
func kfree(_ pointer: UnsafeMutableRawPointer) {
    KernelHeap.free(pointer, for: .kernel)
}

/// Kernel-heap blocks named by their addresses, for callers that hold a number rather than a
/// pointer (the monitor's `kalloc`/`kfree` take addresses typed at the prompt). The address ->
/// pointer conversion happens here only.
extension KernelHeap {
    static func allocateBlock(byteCount: Int, alignment: Int, for client: HeapClient) -> VirtualAddress? {
        allocate(byteCount: byteCount, alignment: alignment, for: client).map { VirtualAddress(address($0)) }
    }

    /// Frees the block at `block` (a bad address is reported like any bad free). Precondition:
    /// `block` is not 0.
    static func free(block: VirtualAddress, for client: HeapClient) {
        free(pointer(block), for: client)
    }

    /// The size of the live block starting at `block`, or nil when no live block starts there.
    static func blockByteCount(at block: VirtualAddress) -> Int? {
        block.raw == 0 ? nil : heap!.blockByteCount(of: pointer(block))
    }

    static func blockOrder(at block: VirtualAddress) -> BlockOrder? {
        block.raw == 0 ? nil : heap!.blockOrder(of: pointer(block))
    }

    private static func pointer(_ block: VirtualAddress) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(bitPattern: UInt(block.raw))!
    }
}

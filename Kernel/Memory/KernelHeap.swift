// The kernel heap: a slab layer (Sources/SlabHeap) in front of a buddy heap (Sources/BuddyHeap)
// over arenas of frames. Requests up to 4 KiB (alignment <= 16) are objects of the slab caches
// (the kernel's own frequent objects in named caches, KernelObjectCaches); larger or more aligned
// ones are buddy blocks; above the largest block, frames directly. Every Swift allocation in the
// kernel (class instances, Array and String storage, closures) arrives here through
// posix_memalign/free (Runtime/), and kernel code can call kmalloc/kfree directly.
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
import SlabHeap

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
    /// The heap itself (12.8 KiB of cache and arena tables). Only this file touches it, through
    /// the accessors below: each is a function of its own, so a copy the compiler makes to read
    /// the struct lives in that function's frame only (callers that read `heap!` several times
    /// once built a 254 KiB frame of copies and overflowed the boot stack).
    nonisolated(unsafe) private static var heap: SlabHeap<FrameArenaSource>? = nil
    /// Set once `heap` holds a heap. Checked instead of `heap != nil`, which may copy the whole
    /// heap struct (several KiB of fixed-capacity tables) on every call.
    nonisolated(unsafe) static var isReady = false

    static func initialize() {
        do throws(SlabConfigurationError) {
            let buddy: BuddyHeap<FrameArenaSource>
            do throws(HeapConfigurationError) {
                buddy = try BuddyHeap(source: FrameArenaSource(), configuration: .kernel)
            } catch {
                throw .buddy(error)
            }
            heap = try SlabHeap(buddy: buddy, configuration: SlabConfiguration(secret: kernelRandomSecret()))
            isReady = true
        } catch {
            panic("kernel heap configuration rejected")
        }
        KernelObjectCaches.create(in: &heap!)
        let largest = UInt64(heap!.largestBlockBytes)
        log.line(.info, "heap", "ready").size("arena", UInt64(heap!.arenaBytes)).size("smallest_block", UInt64(minimumBlockBytes))
            .size("largest_block", largest).text("above_largest", "frames-direct")
            .size("bookkeeping", UInt64(MemoryLayout<SlabHeap<FrameArenaSource>>.size))
            .size("slab", UInt64(slabStatistics.slabBytes)).dec("slab_classes", heap!.genericCacheCount)
            .dec("named_caches", KernelObjectCaches.count).end()
    }

    /// The heap's statistics with slab objects counted as allocations (SlabHeap.heapStatistics).
    static var statistics: HeapStatistics { @inline(never) get { heap!.heapStatistics } }

    /// The slab layer's own figures (caches, slabs, objects).
    static var slabStatistics: SlabStatistics { @inline(never) get { heap!.statistics } }

    /// The buddy heap's own figures (its blocks, slabs included).
    static var buddyStatistics: HeapStatistics { @inline(never) get { heap!.buddy.statistics } }

    static var cacheCount: Int { @inline(never) get { heap!.cacheCount } }

    @inline(never) static func cacheStatistics(_ index: Int) -> SlabCacheStatistics { heap!.cacheStatistics(index) }

    static var arenaBytes: Int { @inline(never) get { heap!.arenaBytes } }
    static var largestBlockBytes: Int { @inline(never) get { heap!.largestBlockBytes } }

    /// The live allocation's size at `pointer` (object, block or large), or nil.
    @inline(never) static func blockByteCount(of pointer: UnsafeMutableRawPointer) -> Int? {
        heap!.blockByteCount(of: pointer)
    }

    /// Frees through the heap's own check, returning its error (self tests that provoke one).
    @inline(never) static func checkedFree(_ pointer: UnsafeMutableRawPointer) throws(HeapError) {
        try heap!.free(pointer)
    }

    /// The first broken invariant of the slab layer or the buddy heap, or nil.
    @inline(never) static func checkInvariants() -> SlabInvariantViolation? { heap!.checkInvariants() }

    /// Gives every empty slab and arena back.
    @inline(never) static func trim() { heap!.trim() }

    @inline(never) static func coalesce() { heap!.coalesce() }

    static var debugOptions: HeapDebugOptions {
        @inline(never) get { heap!.debugOptions }
        @inline(never) set { heap!.debugOptions = newValue }
    }

    static func allocate(byteCount: Int, alignment: Int, for client: HeapClient) -> UnsafeMutableRawPointer? {
        guard isReady else { panic("heap allocation before the heap exists", "bytes", UInt64(byteCount)) }
        let pointer = KernelObjectCaches.allocate(byteCount: byteCount, alignment: alignment, from: &heap!)
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
        let isSlab = tracing && heap!.isSlabObject(pointer)
        do throws(HeapError) {
            try heap!.free(pointer)
            if tracing {
                let line = log.line(.trace, "heap", "free").address("ptr", address(pointer)).dec("block", blockBytes ?? 0)
                if let order { line.dec("order", order.raw) } else { line.text("order", isSlab ? "slab" : "large") }
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
        orderField(line, pointer).text("by", client.name).end()
    }

    /// `order=`: the buddy order, `slab` for a slab object, `large` above the largest block.
    static func orderField(_ line: LogLine<SerialSink>, _ pointer: UnsafeMutableRawPointer) -> LogLine<SerialSink> {
        if let order = heap!.blockOrder(of: pointer) { return line.dec("order", order.raw) }
        return line.text("order", heap!.isSlabObject(pointer) ? "slab" : "large")
    }

    private static func reportBadFree(_ pointer: UnsafeMutableRawPointer, _ error: HeapError, client: HeapClient) {
        log.line(.error, "heap", "bad-free").address("ptr", address(pointer)).text("error", error.name)
            .text("by", client.name).dec("errors_so_far", statistics.errorsDetected).end()
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

    /// `order=` of the live block at `block` (see `orderField`). Precondition: `block` is not 0.
    static func orderField(_ line: LogLine<SerialSink>, at block: VirtualAddress) -> LogLine<SerialSink> {
        orderField(line, pointer(block))
    }

    private static func pointer(_ block: VirtualAddress) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(bitPattern: UInt(block.raw))!
    }
}

@_extern(c, "kernel_random_seed") func kernel_random_seed() -> UInt64

/// The slab cookie key: 64 bits from RDRAND (else the TSC, boot/stackguard.asm) through
/// SplitMix64's finaliser, so a caller's bytes can never forge a slab header's cookie.
private func kernelRandomSecret() -> UInt64 {
    var mixer = SplitMix64(seed: kernel_random_seed())
    return mixer.next()
}

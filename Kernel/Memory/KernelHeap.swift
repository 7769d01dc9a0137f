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
    /// The heap itself (19.5 KiB of cache and arena tables) lives in static storage
    /// (`kernel_heap_storage`, Kernel/Runtime/runtime.c), reached through this one typed pointer,
    /// set once by `initialize()`. Only this file touches it. Every accessor reads and calls
    /// through `heap!.pointee`, which works on the struct in place: the optional struct this
    /// replaced was copied out whole on each `heap!` (60 KiB frames, one call from overflowing a
    /// process's 64 KiB kernel stack). The heap's queries that read its tables are `mutating` for
    /// the same reason (SlabStatistics.swift); tools/stack-check.py keeps every frame small. The
    /// accessors stay `@inline(never)`: one small frame each, however a caller combines them.
    nonisolated(unsafe) private static var heap: UnsafeMutablePointer<SlabHeap<FrameArenaSource>>? = nil
    /// True once `initialize()` has built the heap (an 8-byte test, no copy).
    static var isReady: Bool { heap != nil }

    static func initialize() {
        let storage = heapStorage()
        do throws(SlabConfigurationError) {
            let buddy: BuddyHeap<FrameArenaSource>
            do throws(HeapConfigurationError) {
                buddy = try BuddyHeap(source: FrameArenaSource(), configuration: .kernel)
            } catch {
                throw .buddy(error)
            }
            storage.initialize(to: try SlabHeap(buddy: buddy, configuration: SlabConfiguration(secret: kernelRandomSecret())))
            heap = storage
        } catch {
            panic("kernel heap configuration rejected")
        }
        KernelObjectCaches.create(in: &storage.pointee)
        log.line(.info, "heap", "ready").size("arena", UInt64(arenaBytes)).size("smallest_block", UInt64(minimumBlockBytes))
            .size("largest_block", UInt64(largestBlockBytes)).text("above_largest", "frames-direct")
            .size("bookkeeping", UInt64(MemoryLayout<SlabHeap<FrameArenaSource>>.size))
            .size("slab", UInt64(slabStatistics.slabBytes)).dec("slab_classes", storage.pointee.genericCacheCount)
            .dec("named_caches", KernelObjectCaches.count).end()
    }

    /// `kernel_heap_storage` typed as the heap, after checking that the struct fits it (size and
    /// alignment; a grown struct stops the boot here, saying how many bytes it needs).
    private static func heapStorage() -> UnsafeMutablePointer<SlabHeap<FrameArenaSource>> {
        let layout = MemoryLayout<SlabHeap<FrameArenaSource>>.self
        let base = withUnsafeMutablePointer(to: &kernelHeapStorage) { UnsafeMutableRawPointer($0) }
        guard layout.size <= Int(kernelHeapStorageBytes), Int(bitPattern: base) & (layout.alignment - 1) == 0 else {
            panic("kernel_heap_storage (Kernel/Runtime/runtime.c) does not fit the heap", "needed", UInt64(layout.size))
        }
        return base.bindMemory(to: SlabHeap<FrameArenaSource>.self, capacity: 1)
    }

    /// The heap's statistics with slab objects counted as allocations (SlabHeap.heapStatistics).
    static var statistics: HeapStatistics { @inline(never) get { heap!.pointee.heapStatistics } }

    /// The slab layer's own figures (caches, slabs, objects).
    static var slabStatistics: SlabStatistics { @inline(never) get { heap!.pointee.statistics } }

    /// The buddy heap's own figures (its blocks, slabs included).
    static var buddyStatistics: HeapStatistics { @inline(never) get { heap!.pointee.buddy.statistics } }

    static var cacheCount: Int { @inline(never) get { heap!.pointee.cacheCount } }

    @inline(never) static func cacheStatistics(_ index: Int) -> SlabCacheStatistics { heap!.pointee.cacheStatistics(index) }

    static var arenaBytes: Int { @inline(never) get { heap!.pointee.arenaBytes } }
    static var largestBlockBytes: Int { @inline(never) get { heap!.pointee.largestBlockBytes } }

    /// The live allocation's size at `pointer` (object, block or large), or nil.
    @inline(never) static func blockByteCount(of pointer: UnsafeMutableRawPointer) -> Int? {
        heap!.pointee.blockByteCount(of: pointer)
    }

    /// Frees through the heap's own check, returning its error (self tests that provoke one).
    @inline(never) static func checkedFree(_ pointer: UnsafeMutableRawPointer) throws(HeapError) {
        try heap!.pointee.free(pointer)
    }

    /// The first broken invariant of the slab layer or the buddy heap, or nil.
    @inline(never) static func checkInvariants() -> SlabInvariantViolation? { heap!.pointee.checkInvariants() }

    /// Gives every empty slab and arena back.
    @inline(never) static func trim() { heap!.pointee.trim() }

    @inline(never) static func coalesce() { heap!.pointee.coalesce() }

    static var debugOptions: HeapDebugOptions {
        @inline(never) get { heap!.pointee.debugOptions }
        @inline(never) set { heap!.pointee.debugOptions = newValue }
    }

    static func allocate(byteCount: Int, alignment: Int, for client: HeapClient) -> UnsafeMutableRawPointer? {
        guard isReady else { panic("heap allocation before the heap exists", "bytes", UInt64(byteCount)) }
        let pointer = KernelObjectCaches.allocate(byteCount: byteCount, alignment: alignment, from: &heap!.pointee)
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
        let blockBytes = tracing ? heap!.pointee.blockByteCount(of: pointer) : nil
        let order = tracing ? heap!.pointee.blockOrder(of: pointer) : nil
        let isSlab = tracing && heap!.pointee.isSlabObject(pointer)
        do throws(HeapError) {
            try heap!.pointee.free(pointer)
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
            .dec("align", alignment).dec("block", heap!.pointee.blockByteCount(of: pointer) ?? 0)
        orderField(line, pointer).text("by", client.name).end()
    }

    /// `order=`: the buddy order, `slab` for a slab object, `large` above the largest block.
    static func orderField(_ line: LogLine<SerialSink>, _ pointer: UnsafeMutableRawPointer) -> LogLine<SerialSink> {
        if let order = heap!.pointee.blockOrder(of: pointer) { return line.dec("order", order.raw) }
        return line.text("order", heap!.pointee.isSlabObject(pointer) ? "slab" : "large")
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
        block.raw == 0 ? nil : heap!.pointee.blockByteCount(of: pointer(block))
    }

    /// `order=` of the live block at `block` (see `orderField`). Precondition: `block` is not 0.
    static func orderField(_ line: LogLine<SerialSink>, at block: VirtualAddress) -> LogLine<SerialSink> {
        orderField(line, pointer(block))
    }

    private static func pointer(_ block: VirtualAddress) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(bitPattern: UInt(block.raw))!
    }
}

@_extern(c, "kernel_heap_storage") nonisolated(unsafe) var kernelHeapStorage: UInt8
@_extern(c, "kernel_heap_storage_bytes") nonisolated(unsafe) var kernelHeapStorageBytes: UInt64

@_extern(c, "kernel_random_seed") func kernel_random_seed() -> UInt64

/// The slab cookie key: 64 bits from RDRAND (else the TSC, boot/stackguard.asm) through
/// SplitMix64's finaliser, so a caller's bytes can never forge a slab header's cookie.
private func kernelRandomSecret() -> UInt64 {
    var mixer = SplitMix64(seed: kernel_random_seed())
    return mixer.next()
}

// The program's heap: one UserHeap over SyscallPageSource, behind the C malloc family.
//
// Every Swift allocation of the program (class instances, Array/String storage, closures) and
// every C malloc call arrives here through runtime.c, which forwards the C names to the
// @_cdecl functions below. The heap is created on first use (a lazily initialised static), so
// a program that never allocates never maps a page for it. Its secret (HeapSecret) is chosen
// then, per process.
//
// Misuse (bad free, bad realloc) is reported by the heap to `HeapMisuse.report`, which prints
// and exits: see HeapMisuse.swift. The heap is not re-entered from there.
import UserMalloc

enum ProgramHeap {
    /// The heap. Single-threaded programs only (as UserHeap itself).
    nonisolated(unsafe) static var heap = UserHeap(
        source: SyscallPageSource(), secret: HeapSecret.choose(), errorHandler: HeapMisuse.report)
}

@_cdecl("swiftmm_heap_allocate")
func swiftmmHeapAllocate(_ byteCount: Int) -> UnsafeMutableRawPointer? {
    ProgramHeap.heap.allocate(byteCount: byteCount)
}

@_cdecl("swiftmm_heap_free")
func swiftmmHeapFree(_ pointer: UnsafeMutableRawPointer?) {
    ProgramHeap.heap.free(pointer)
}

@_cdecl("swiftmm_heap_allocate_zeroed")
func swiftmmHeapAllocateZeroed(_ count: Int, _ byteCount: Int) -> UnsafeMutableRawPointer? {
    ProgramHeap.heap.allocateZeroed(count: count, byteCount: byteCount)
}

@_cdecl("swiftmm_heap_reallocate")
func swiftmmHeapReallocate(_ pointer: UnsafeMutableRawPointer?, _ byteCount: Int) -> UnsafeMutableRawPointer? {
    ProgramHeap.heap.reallocate(pointer, byteCount: byteCount)
}

/// posix_memalign: 0, or EINVAL / ENOMEM with `*result` untouched.
@_cdecl("swiftmm_heap_allocate_aligned")
func swiftmmHeapAllocateAligned(
    _ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
    _ alignment: Int, _ byteCount: Int
) -> Int32 {
    do throws(MallocErrno) {
        result.pointee = try ProgramHeap.heap.allocateAligned(byteCount: byteCount, alignment: alignment)
        return 0
    } catch {
        return error.rawValue
    }
}

@_cdecl("swiftmm_heap_usable_size")
func swiftmmHeapUsableSize(_ pointer: UnsafeMutableRawPointer?) -> Int {
    ProgramHeap.heap.usableByteCount(of: pointer)
}

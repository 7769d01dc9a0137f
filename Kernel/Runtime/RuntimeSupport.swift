// The Swift side of the runtime symbols: Swift's allocations (class instances, Array and String
// storage, escaping closures) arrive here through posix_memalign/free in runtime.c.

@_cdecl("kernel_runtime_putchar")
func kernelRuntimePutchar(_ character: Int32) {
    SerialPort.write(UInt8(truncatingIfNeeded: character))
}

@_cdecl("kernel_runtime_allocate")
func kernelRuntimeAllocate(_ size: Int, _ alignment: Int) -> UnsafeMutableRawPointer? {
    KernelHeap.allocate(byteCount: size, alignment: alignment, for: .swiftRuntime)
}

@_cdecl("kernel_runtime_free")
func kernelRuntimeFree(_ pointer: UnsafeMutableRawPointer) {
    KernelHeap.free(pointer, for: .swiftRuntime)
}

/// `ceil` for Set/Dictionary capacity math. Written in Swift so it uses the same x87 convention
/// as its callers (SSE is off); clang refuses a C `ceil` without SSE.
@_cdecl("ceil")
func ceil(_ x: Double) -> Double {
    if !(x.magnitude < 4_503_599_627_370_496.0) { return x }  // |x| >= 2^52, inf or nan: already whole
    let truncated = Double(Int64(x))
    return truncated < x ? truncated + 1 : truncated
}

/// __stack_chk_fail's Swift half: a stack canary was overwritten (Swift's stack protector on the
/// Kernel module). This function itself has no protected locals.
@_cdecl("kernel_stack_check_failed")
func kernelStackCheckFailed() -> Never {
    panic("stack protector: a function's stack canary was overwritten (__stack_chk_fail)")
}

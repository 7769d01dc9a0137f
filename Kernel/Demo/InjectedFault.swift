import KernelLog
import BootOptions

// Faults made on purpose (`fault=` on the command line), so `make test` can check that a kernel
// bug ends in a clear report and the fail exit code, never in a silent triple-fault reboot:
//   stack-overflow: unbounded recursion runs the boot stack into its unmapped guard page; the
//                   page fault cannot be delivered on that stack, so the CPU raises a double
//                   fault, which runs on its own stack (TSS IST1) and is reported;
//   null-pointer:   a read of address 0, which is never mapped;
//   stack-smash:    a local buffer overrun over the stack protector's canary (__stack_chk_fail).

/// The faults themselves; the command line (BootOptions) names them.
extension InjectedFaultName {
    func trigger() {
        log.line(.warn, "boot", "inject-fault").text("fault", name).end()
        switch self {
        case .stackOverflow: _ = recurse(1)
        case .nullPointer: _ = readNull()
        case .stackSmash:
            smashStack()
            log.line(.error, "boot", "stack-smash-undetected").end()
        }
    }
}

/// Recurses until the stack runs out (the depth limit is never reached: it only keeps the
/// compiler from calling this an infinite recursion).
@inline(never) private func recurse(_ depth: UInt64) -> UInt64 {
    var frame = InlineArray<64, UInt64>(repeating: depth)  // 512 bytes per call: the stack goes fast
    if depth < UInt64.max { frame[Int(depth % 64)] &+= recurse(depth &+ 1) }
    return frame[Int((depth &+ 1) % 64)]
}

/// Writes past the end of a local buffer, over the stack protector's canary: the check before
/// return must call __stack_chk_fail, which panics naming it.
@inline(never) private func smashStack() {
    var buffer = InlineArray<4, UInt64>(repeating: 0)
    withUnsafeMutablePointer(to: &buffer) { pointer in
        fill(UnsafeMutableRawPointer(pointer), words: 4 + 8 + Int(UInt64(breakpointCount) & 0))
    }
    _ = buffer[0]
}

/// The overrun itself, out of line so the optimiser cannot drop the stores past the buffer.
@inline(never) private func fill(_ start: UnsafeMutableRawPointer, words: Int) {
    for index in 0 ..< words { start.storeBytes(of: 0x4141_4141_4141_4141, toByteOffset: index * 8, as: UInt64.self) }
}

@inline(never) private func readNull() -> UInt64 {
    let address = UInt(UInt64(breakpointCount) & 0)  // 0, but opaque to the optimiser
    return UnsafePointer<UInt64>(bitPattern: address + 0x8)!.pointee
}

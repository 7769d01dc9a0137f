// stack_overflow (hostile): recurses without bound, 256 bytes of frame per level; the stack grows
// page by page on demand up to its limit (1 MiB), then runs into the 1 MiB guard gap below it.
// The kernel must kill the program with a page fault (cause=stack-guard-gap: it never grows the
// stack into the gap). Returning exits 1.
// Expected: killed=page-fault.
import KernelLog

/// The lowest frame address reached, kept in a global so the recursion has a visible effect and
/// cannot be removed or turned into a loop.
nonisolated(unsafe) var lowestFrame: UInt = .max

@_cdecl("user_main")
func userMain() -> Int32 {
    Console.line("stack_overflow").word("descending").text("expect", "page-fault").end()
    Console.flush()
    let depth = descend(1)
    Console.line("stack_overflow").word("FAILED").phrase("reason", "recursion returned").dec("depth", depth).end()
    return 1
}

@inline(never) func descend(_ depth: UInt64) -> UInt64 {
    var frame:
        (
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
        ) =
            (depth, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, depth)
    withUnsafeMutableBytes(of: &frame) { note($0) }
    // Not a tail call: the result is combined with this frame's data after the call returns.
    return descend(depth &+ 1) &+ frame.31
}

@inline(never) func note(_ frame: UnsafeMutableRawBufferPointer) {
    let address = UInt(bitPattern: frame.baseAddress)
    if address < lowestFrame { lowestFrame = address }
    frame.storeBytes(of: UInt64(address), toByteOffset: 8, as: UInt64.self)
}

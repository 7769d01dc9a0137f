// Reading and writing user memory: this module's raw-pointer file. The kernel never dereferences a
// user pointer: the range is validated (validateUserRange), every page is translated through the
// process's tables and checked for the needed access BEFORE any byte moves (so a fault half-way
// changes nothing), then bytes are copied through the address space's PhysicalMemoryAccess.
//
// Contract of the pointers formed here: `space.memory.pointer(to:)` of a physical address that a
// present user leaf maps is valid for the rest of that page (PhysicalMemoryAccess's contract,
// extended to user frames by the machine: the kernel's identity map, a host double's buffer).
import MemoryCore
import PageTables

extension ProcessMemory {
    /// Calls `body` with each chunk of user memory in [address, address + length), in order.
    /// Refusals: the range's reason, `.notMapped`, `.noAccess` (not user, or not readable).
    public func readUser(address: UInt64, length: UInt64, _ body: (UnsafeRawBufferPointer) -> Void) throws(RejectionReason) {
        try visitUser(address: address, length: length, needsWrite: false) { body(UnsafeRawBufferPointer($0)) }
    }

    /// Copies `length` bytes of user memory at `address` into `buffer` (at least `length` bytes).
    /// Refusals as `readUser`.
    public func readUser(address: UInt64, length: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(RejectionReason) {
        var offset = 0
        try readUser(address: address, length: length) { chunk in
            UnsafeMutableRawBufferPointer(rebasing: buffer[offset ..< offset + chunk.count]).copyMemory(from: chunk)
            offset += chunk.count
        }
    }

    /// Copies `source` to user memory at `address`. Refusals as `readUser` (plus not writable).
    public func writeUser(address: UInt64, from source: UnsafeRawBufferPointer) throws(RejectionReason) {
        var offset = 0
        try visitUser(address: address, length: UInt64(source.count), needsWrite: true) { chunk in
            chunk.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset ..< (offset + chunk.count)]))
            offset += chunk.count
        }
    }

    /// Refuses as `writeUser` would, copying nothing (a result to be written after a wait).
    public func checkUserWritable(address: UInt64, length: UInt64) throws(RejectionReason) {
        try visitUser(address: address, length: length, needsWrite: true) { _ in }
    }

    private func visitUser(
        address: UInt64, length: UInt64, needsWrite: Bool, _ body: (UnsafeMutableRawBufferPointer) -> Void
    ) throws(RejectionReason) {
        if length == 0 { return }
        do throws(UserRangeError) {
            _ = try validateUserRange(address: address, length: length, alignment: .roundOutward)
        } catch {
            throw RejectionReason(error)
        }
        var cursor = address
        let end = address + length
        while cursor < end {
            guard let translation = space.translate(VirtualAddress(cursor)) else { throw .notMapped }
            guard translation.flags.contains(.user), !needsWrite || translation.flags.contains(.writable) else {
                throw .noAccess
            }
            cursor = alignDown(cursor, to: frameSize) + frameSize
        }
        cursor = address
        while cursor < end {
            let chunkEnd = min(end, alignDown(cursor, to: frameSize) + frameSize)
            let physical = space.translate(VirtualAddress(cursor))!.physical
            body(UnsafeMutableRawBufferPointer(start: space.memory.pointer(to: physical), count: Int(chunkEnd - cursor)))
            cursor = chunkEnd
        }
    }
}

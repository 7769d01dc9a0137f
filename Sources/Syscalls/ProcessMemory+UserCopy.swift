// Reading and writing user memory: this module's raw-pointer file. The kernel never dereferences a
// user pointer: the range is validated (validateUserRange), every page's region is checked for the
// needed access and the pages not yet backed are faulted in as the program's own touch would
// (faultInUser), then every page is translated through the process's tables and checked BEFORE
// any byte moves (so a refusal half-way changes nothing), then bytes are copied through the
// address space's PhysicalMemoryAccess.
//
// Contract of the pointers formed here: `space.memory.pointer(to:)` of a physical address that a
// present user leaf maps is valid for the rest of that page (PhysicalMemoryAccess's contract,
// extended to user frames by the machine: the kernel's identity map, a host double's buffer).
import MemoryCore
import PageTables

extension ProcessMemory {
    /// Backs every page of [address, address + length) for the access, as the program's own touch
    /// would: nothing changes unless every page's region allows it. Refusals: the range's reason,
    /// `.notMapped` (a page in no region), `.noAccess` (a region that forbids the access), and
    /// `.outOfFrames` only when committed memory found no frame (pages faulted in before stay).
    public mutating func faultInUser<Machine: SyscallMachine>(
        address: UInt64, length: UInt64, needsWrite: Bool, machine: inout Machine
    ) throws(RejectionReason) {
        if length == 0 { return }
        do throws(UserRangeError) {
            _ = try validateUserRange(address: address, length: length, alignment: .roundOutward)
        } catch {
            throw RejectionReason(error)
        }
        let first = alignDown(address, to: frameSize), end = address + length
        var page = first
        while page < end {
            guard let region = regions.region(containing: VirtualAddress(page)) else { throw .notMapped }
            guard !needsWrite || region.isWritable else { throw .noAccess }
            page += frameSize
        }
        page = first
        let access: FaultAccess = needsWrite ? .write : .read
        while page < end {
            let fault = PageFault(address: VirtualAddress(page), access: access, wasPresent: false, fromUser: true)
            guard case .success = resolveFault(fault, machine: &machine) else { throw .outOfFrames }  // no-frame: see Faults
            page += frameSize
        }
    }

    /// Calls `body` with each chunk of user memory in [address, address + length), in order. The
    /// pages must be backed (faultInUser). Refusals: the range's reason, `.notMapped`, `.noAccess`
    /// (not user, or not readable).
    public func readUser(address: UInt64, length: UInt64, _ body: (UnsafeRawBufferPointer) -> Void) throws(RejectionReason) {
        try visitUser(address: address, length: length, needsWrite: false) { body(UnsafeRawBufferPointer($0)) }
    }

    /// Copies `source` to user memory at `address`, faulting its pages in first. Refusals as
    /// `faultInUser` (plus not writable).
    public mutating func writeUser<Machine: SyscallMachine>(
        address: UInt64, from source: UnsafeRawBufferPointer, machine: inout Machine
    ) throws(RejectionReason) {
        try faultInUser(address: address, length: UInt64(source.count), needsWrite: true, machine: &machine)
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

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
        try Self.checkUserBytes(address: address, length: length)
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

    /// What a system call reads from its caller: `length` bytes at `address` into `buffer`, the
    /// pages faulted in first as the program's own read would (a string in a page never touched
    /// reads as zeros, as it would in the program). Refusals as `faultInUser` and `readUser`.
    public mutating func copyFromUser<Machine: SyscallMachine>(
        address: UInt64, length: UInt64, into buffer: UnsafeMutableRawBufferPointer, machine: inout Machine
    ) throws(RejectionReason) {
        try faultInUser(address: address, length: length, needsWrite: false, machine: &machine)
        try readUser(address: address, length: length, into: buffer)
    }

    /// Backs [address, address + length) for a write that comes later (wait's status, written when
    /// the child has ended): refuses as `writeUser` would, copying nothing.
    public mutating func prepareUserWrite<Machine: SyscallMachine>(
        address: UInt64, length: UInt64, machine: inout Machine
    ) throws(RejectionReason) {
        try faultInUser(address: address, length: length, needsWrite: true, machine: &machine)
        try checkUserWritable(address: address, length: length)
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

    /// A user buffer lies inside user space (its pages rounded outward), else validateUserRange's
    /// reason. Checked before any page of it is looked at, so no walk runs over a wild range.
    private static func checkUserBytes(address: UInt64, length: UInt64) throws(RejectionReason) {
        do throws(UserRangeError) {
            _ = try validateUserRange(address: address, length: length, alignment: .roundOutward)
        } catch {
            throw RejectionReason(error)
        }
    }

    private func visitUser(
        address: UInt64, length: UInt64, needsWrite: Bool, _ body: (UnsafeMutableRawBufferPointer) -> Void
    ) throws(RejectionReason) {
        if length == 0 { return }
        try Self.checkUserBytes(address: address, length: length)
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

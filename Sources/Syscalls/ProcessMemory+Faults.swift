// Fault resolution: the one decision the page-fault handler (and the kernel's user copies) asks
// for. In this order, the first that applies deciding:
//   1. raised by the kernel                          -> refused (kernel-mode: a kernel bug)
//   2. no region covers the address                  -> refused (kernel-memory, stack-guard-gap
//                                                       or not-mapped, by where it is)
//   3. the region's protection forbids the access    -> refused (protection-violation)
//   4. an object region                               -> its object page resolved through the
//                                                       registry (ProcessMemory+Objects.swift)
//   5. the page is backed:
//        its leaf allows the access                   -> already resolved
//        a write to the shared zero frame             -> a private zeroed frame replaces it
//      not backed:
//        a write                                      -> a private zeroed frame (demand-zero)
//        a read or an instruction fetch               -> the shared zero frame, read-only
// Step 5's frames were charged when the region was reserved, so resolving never fails for want
// of memory; should frames have been taken behind the ledger's back (a kernel bug), the fault is
// refused as `no-frame` and the process killed, never the kernel.
import MemoryCore
import PageTables

extension ProcessMemory {
    public mutating func resolveFault<Machine: SyscallMachine>(
        _ fault: PageFault, machine: inout Machine
    ) -> Result<FaultResolution, FaultRefusal> {
        guard fault.fromUser else { return .failure(.kernelMode) }
        guard let region = regions.region(containing: fault.address) else {
            return .failure(UserSpace.unreservedFaultCause(fault.address))
        }
        guard Self.allows(region.flags, fault.access) else { return .failure(.protectionViolation) }
        let page = VirtualAddress(alignDown(fault.address.raw, to: frameSize))
        if region.kind.object != nil { return resolveObjectFault(fault, at: page, in: region, machine: &machine) }
        if let backed = space.translate(page) {
            if Self.allows(backed.flags, fault.access) { return .success(.alreadyResolved) }
            guard fault.access == .write, backed.frame == machine.sharedZeroFrame else { return .failure(.protectionViolation) }
            guard replaceZeroFrame(at: page, region: region, machine: &machine) else { return .failure(.noFrame) }
            protectionFaults += 1
            zeroFillFaults += 1
            return .success(.zeroFrameReplaced)
        }
        if fault.access == .write {
            do throws(RejectionReason) {
                try backWithZeroedFrames(at: page, pageCount: 1, flags: region.flags, machine: &machine)
            } catch {
                return .failure(.noFrame)
            }
            zeroFillFaults += 1
            return .success(.zeroFill)
        }
        guard mapZeroFrame(at: page, region: region, machine: &machine) else { return .failure(.noFrame) }
        zeroFrameFaults += 1
        return .success(.zeroFrame)
    }

    /// Whether leaf or region flags allow an access (read is implied by present).
    static func allows(_ flags: PageFlags, _ access: FaultAccess) -> Bool {
        switch access {
        case .read: true
        case .write: flags.contains(.writable)
        case .execute: !flags.contains(.noExecute)
        }
    }

    /// False only when a table frame was missing (see the file comment).
    private mutating func mapZeroFrame<Machine: SyscallMachine>(
        at page: VirtualAddress, region: Region, machine: inout Machine
    ) -> Bool {
        do throws(PageTableError) {
            try space.map(
                page, to: machine.sharedZeroFrame, size: .size4KiB, flags: region.flags.subtracting(.writable),
                tableFrames: &tableFrames)
        } catch {
            return false
        }
        zeroFrameLeaves += 1
        return true
    }

    /// False only when no frame was left (see the file comment).
    private mutating func replaceZeroFrame<Machine: SyscallMachine>(
        at page: VirtualAddress, region: Region, machine: inout Machine
    ) -> Bool {
        guard let frame = machine.allocateUserFrame(for: page) else { return false }
        do throws(PageTableError) {
            // The read-only zero-frame translation may be cached: invalidated here.
            try space.replaceLeafFrame(page, with: frame, flags: region.flags).flush(machine)
        } catch {
            preconditionFailure("a present zero-frame page could not be replaced")
        }
        zeroFrameLeaves -= 1
        peakPages = max(peakPages, pagesMapped)
        return true
    }
}

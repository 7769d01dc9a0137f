// Loading an ELF64 executable (a multiboot module) into a fresh user address space:
// ProgramLoader validates the file and plans the segments; here each segment's pages are mapped
// zeroed and writable (reserved, charged and backed at once), the file bytes copied in through the
// page tables, and then the pages get their final permissions (W^X). Then the stack (reserved and
// charged, backed on demand, with the 1 MiB guard gap below it) and the empty break right after
// the image.
import MemoryCore
import KernelLog
import PageTables
import ProgramLoader
import Syscalls

enum LoadFailure: Error {
    case badExecutable(ElfError)
    case noMemory(Rejection)
}

enum ProgramLoading {
    static func load(_ file: UnsafeRawBufferPointer, into process: Process) throws(LoadFailure) -> VirtualAddress {
        let plan: LoadPlan
        let imageArea = VirtualPageRange(start: UserSpace.start, end: UserSpace.imageAreaEnd)!
        do throws(ElfError) { plan = try parseExecutable(file, userRange: imageArea) } catch { throw .badExecutable(error) }
        for index in 0 ..< plan.segments.count {
            try loadSegment(plan.segments[index], from: file, into: process)
        }
        process.memory.setImage(start: plan.segments[0].pages.start, end: plan.imageEnd)
        var machine = KernelMachine(process: process)
        do throws(RejectionReason) { try process.memory.mapStack(machine: &machine) } catch {
            throw .noMemory(Rejection(.outOfMemory, error))
        }
        log.line(.debug, "proc", "loaded").dec("pid", process.id).address("entry", plan.entry.raw)
            .dec("segments", plan.segments.count).dec("image_pages", plan.totalPageCount)
            .address("break", process.memory.breakStart.raw).address("stack_top", UserSpace.stackEnd.raw).end()
        return plan.entry
    }

    private static func loadSegment(
        _ segment: LoadSegment, from file: UnsafeRawBufferPointer,
        into process: Process
    ) throws(LoadFailure) {
        var machine = KernelMachine(process: process)
        let bytes = UnsafeRawBufferPointer(
            rebasing: file[Int(segment.fileOffset) ..< Int(segment.fileOffset + segment.fileByteCount)])
        do throws(RejectionReason) {
            try process.memory.mapZeroed(
                at: segment.pages.start, pageCount: segment.pages.pageCount,
                flags: UserProcessMemory.userData, machine: &machine)
        } catch {
            throw .noMemory(Rejection(error == .overlapsMapping ? .exists : .outOfMemory, error))
        }
        do throws(RejectionReason) {
            try process.memory.writeUser(address: segment.virtualAddress.raw, from: bytes, machine: &machine)
        } catch {
            throw .noMemory(Rejection(.badAddress, error))
        }
        // The segment was just mapped (every page present), so protecting it cannot be refused.
        do throws(PageTableError) {
            try process.memory.setFlags(
                from: segment.pages.start, pageCount: segment.pages.pageCount, flags: segment.pageFlags,
                zeroFrame: machine.sharedZeroFrame
            )
            .discard(.addressSpaceNotLoaded)  // CR3 is loaded with this space only after loading
        } catch {
            panic("loaded segment refused its protection", "start", segment.pages.start.raw)
        }
        log.line(.debug, "proc", "segment").address("start", segment.pages.start.raw).dec("pages", segment.pages.pageCount)
            .dec("file_bytes", segment.fileByteCount).dec("zeroed_bytes", segment.zeroFillByteCount)
            .text("perm", permissionText(segment.pageFlags)).end()
    }

    static func permissionText(_ flags: PageFlags) -> StaticString {
        switch (flags.contains(.writable), flags.contains(.noExecute)) {
        case (false, false): "r-x"
        case (false, true): "r--"
        case (true, true): "rw-"
        case (true, false): "rwx"
        }
    }
}

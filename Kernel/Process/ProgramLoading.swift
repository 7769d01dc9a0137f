// Loading an ELF64 executable (a multiboot module) into a fresh user address space:
// ProgramLoader validates the file and plans the segments; here each segment's pages are mapped
// zeroed and writable, the file bytes copied in through the page tables, and then the pages get
// their final permissions (W^X). Then the stack (with an unmapped guard page below it) and the
// empty break right after the image.
import MemoryCore
import KernelLog
import PageTables
import ProgramLoader

enum LoadFailure: Error {
    case badExecutable(ElfError)
    case noMemory(Errno)
}

enum ProgramLoading {
    static func load(_ file: UnsafeRawBufferPointer, into process: Process) throws(LoadFailure) -> VirtualAddress {
        let plan: LoadPlan
        // Segments may go anywhere in user space below the stack's guard gap: one on the stack
        // or the gap is refused by the loader, with its reason (segment-outside-user-space).
        let imageArea = VirtualPageRange(start: UserSpace.start, end: VirtualAddress(UserLayout.stackGuardGapStart))!
        do throws(ElfError) { plan = try parseExecutable(file, userRange: imageArea) } catch { throw .badExecutable(error) }
        for index in 0..<plan.segments.count {
            try loadSegment(plan.segments[index], from: file, into: process)
        }
        process.imageStart = plan.segments[0].pages.start.raw
        process.breakStart = alignUp(plan.imageEnd.raw, to: frameSize)!
        process.breakCurrent = process.breakStart
        let stackBottom = UserLayout.stackTop - UserLayout.stackPages * frameSize
        if let error = process.mapZeroed(at: stackBottom, pageCount: UserLayout.stackPages,
                                         flags: [.present, .user, .writable, .noExecute]) { throw .noMemory(error) }
        log.line(.debug, "proc", "loaded").dec("pid", process.id).address("entry", plan.entry.raw)
            .dec("segments", plan.segments.count).dec("image_pages", plan.totalPageCount)
            .address("break", process.breakStart).address("stack_top", UserLayout.stackTop).end()
        return plan.entry
    }

    private static func loadSegment(_ segment: LoadSegment, from file: UnsafeRawBufferPointer,
                                    into process: Process) throws(LoadFailure) {
        let writable: PageFlags = [.present, .user, .writable, .noExecute]
        if let error = process.mapZeroed(at: segment.pages.start.raw, pageCount: segment.pages.pageCount, flags: writable) {
            throw .noMemory(error)
        }
        let bytes = UnsafeRawBufferPointer(rebasing: file[Int(segment.fileOffset)..<Int(segment.fileOffset + segment.fileByteCount)])
        if let error = UserMemory.write(process, address: segment.virtualAddress.raw, from: bytes) { throw .noMemory(error) }
        for index in 0..<segment.pages.pageCount {
            _ = try? process.space.protect(VirtualAddress(segment.pages.start.raw + index * frameSize), size: .size4KiB,
                                           flags: segment.pageFlags)
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

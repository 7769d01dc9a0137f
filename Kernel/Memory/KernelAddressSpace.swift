// The kernel's own page tables, replacing the boot stub's all-writable, all-executable 2 MiB map.
//
//   - page 0 is not mapped: a null pointer dereference faults instead of reading low memory;
//   - the rest of the first 2 MiB uses 4 KiB pages so the kernel image gets exact permissions:
//     .text read + execute, .rodata (and the boot stub) read-only + no-execute, data/bss/stacks
//     read-write + no-execute (W^X), with the boot stack's lowest page left unmapped as a guard;
//   - all other RAM the memory map reports is mapped read-write + no-execute with 2 MiB pages;
//   - everything is supervisor-only (no U/S bit), and user address spaces copy PML4[0] with U/S
//     cleared, so user code can never touch kernel memory;
//   - CR0.WP makes the kernel itself respect read-only pages.
// It is built with the same PageTables module that builds user address spaces, with table
// frames from the frame allocator.
import MemoryCore
import KernelLog
import PhysicalMemory
import PageTables

/// Page-table frames from the frame allocator.
struct KernelTableFrames: TableFrameSource {
    mutating func allocateTableFrame() -> FrameNumber? {
        guard let frame = try? KernelMemory.frames.allocate() else { return nil }
        // Before the kernel space is live, only the boot stub's first 4 GiB are mapped.
        if KernelAddressSpace.space == nil && frame.startAddress >= KernelAddressSpace.bootMappedEnd {
            panic("page-table frame above the boot identity map", "frame", frame.raw)
        }
        FrameTrace.allocated(frame, count: 1, owner: .pageTable)
        return frame
    }
    mutating func freeTableFrame(_ frame: FrameNumber) {
        do throws(FrameAllocatorError) { try KernelMemory.frames.free(frame) } catch {
            panic("page-table frame free refused", "frame", frame.raw)
        }
        FrameTrace.freed(frame, count: 1, owner: .pageTable)
    }
}

@_extern(c, "cpu_read_cr0_wp_enable") func cpu_read_cr0_wp_enable()

enum KernelAddressSpace {
    nonisolated(unsafe) static var space: AddressSpace<IdentityAccess>? = nil
    nonisolated(unsafe) static var root = FrameNumber(0)

    static let guardPageCount: UInt64 = 1
    /// PML4 slot 0 covers [0, 512 GiB); its last 4 GiB hold the kernel stacks (KernelStack), so
    /// the identity map stops at 508 GiB: RAM above is reserved at boot, never handed out.
    static let identityMapLimit = PhysicalAddress(KernelStack.areaStart)
    /// The boot stub maps [0, 4 GiB); page-table frames for this space must come from there
    /// (the frame allocator hands out its lowest free frames first, which at boot are low).
    static let bootMappedEnd = PhysicalAddress(4 * GiB)

    /// The boot stack's usable part: its lowest page is the guard.
    static func usableStack(_ layout: BootImageLayout) -> PhysicalRange {
        PhysicalRange(start: PhysicalAddress(layout.bootStack.start.raw + guardPageCount * frameSize), end: layout.bootStack.end)
    }

    static func build(layout: BootImageLayout, map: MemoryMap) {
        var tables = KernelTableFrames()
        do throws(PageTableError) {
            var space = try AddressSpace(kind: .kernel, memory: IdentityAccess(), tableFrames: &tables)
            try mapFirstTwoMebibytes(&space, layout: layout, tables: &tables)
            let hugePages = try mapRAM(&space, map: map, tables: &tables)
            root = space.root
            KernelAddressSpace.space = space
            cpu_write_cr3(space.root.startAddress.raw)
            cpu_read_cr0_wp_enable()
            log.line(.info, "vm", "kernel-space").address("pml4", space.root.startAddress.raw)
                .dec("pages_4k", UInt64(space.mapped4KiBCount)).dec("pages_2m", UInt64(hugePages))
                .dec("table_frames", UInt64(space.tableFrameCount)).text("text", "r-x").text("rodata", "r--")
                .text("data", "rw-").text("null_page", "unmapped").text("stack_guard", "unmapped").end()
        } catch {
            panic("cannot build the kernel page tables")
        }
    }

    private static func mapFirstTwoMebibytes(
        _ space: inout AddressSpace<IdentityAccess>, layout: BootImageLayout,
        tables: inout KernelTableFrames
    ) throws(PageTableError) {
        let guardPage = layout.bootStack.start
        for index: UInt64 in 1 ..< 512 {
            let address = PhysicalAddress(index * frameSize)
            if address >= guardPage && address.raw < guardPage.raw + guardPageCount * frameSize { continue }
            try space.map(
                VirtualAddress(address.raw), to: address.containingFrame, size: .size4KiB,
                flags: permissions(of: address, layout), tableFrames: &tables)
        }
    }

    /// W^X by section.
    private static func permissions(of address: PhysicalAddress, _ layout: BootImageLayout) -> PageFlags {
        if layout.text.contains(address) { return [.present] }
        if layout.image.contains(address) && address < layout.text.start { return [.present, .noExecute] }  // boot stub: done
        if layout.rodata.contains(address) { return [.present, .noExecute] }
        return [.present, .writable, .noExecute]
    }

    /// Maps every 2 MiB window above the first that holds usable RAM. Returns the page count.
    private static func mapRAM(
        _ space: inout AddressSpace<IdentityAccess>, map: MemoryMap,
        tables: inout KernelTableFrames
    ) throws(PageTableError) -> Int {
        var count = 0
        var lastMapped: UInt64 = 0  // windows are visited in increasing order (the map is sorted)
        for index in 0 ..< map.count where map[index].kind == .usable {
            let range = map[index].range
            var window = max(alignDown(range.start.raw, to: 2 * MiB), 2 * MiB, lastMapped)
            while window < range.end.raw && window < identityMapLimit.raw {
                try space.map(
                    VirtualAddress(window), to: PhysicalAddress(window).containingFrame, size: .size2MiB,
                    flags: [.present, .writable, .noExecute], tableFrames: &tables)
                count += 1
                window += 2 * MiB
                lastMapped = window
            }
        }
        return count
    }
}

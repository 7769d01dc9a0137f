// A user process: its address space and the user memory it holds. A final class, so each
// process record lives on the kernel heap (the heap serves the kernel's own objects too).
//
// Invariants:
//   - every present user leaf maps a frame this process allocated, zeroed before mapping;
//   - pagesMapped == space.mapped4KiBCount (user memory uses 4 KiB pages only);
//   - [breakStart, breakCurrent) is mapped read-write; unhinted maps go in [mapAreaStart,
//     mapAreaEnd), found by a search of the page tables from mapNext (the end of the last one),
//     so addresses are reused only after the area wraps around;
//   - destroying the process returns every user frame and every table frame.
import MemoryCore
import KernelLog
import PhysicalMemory
import PageTables

typealias UserAddressSpace = AddressSpace<IdentityAccess>

final class Process {
    let id: Int
    /// The program's name: bytes in the multiboot module string (reserved boot memory).
    let name: UnsafeRawBufferPointer
    var space: UserAddressSpace
    /// Lowest page of the program image (its first segment).
    var imageStart: UInt64 = 0
    var breakStart: UInt64 = 0
    var breakCurrent: UInt64 = 0
    var mapNext: UInt64 = UserLayout.mapAreaStart
    var peakPages = 0
    var mapCalls = 0, unmapCalls = 0, brkCalls = 0, protectCalls = 0
    var output = LineBuffer()
    /// What the kernel keeps of the process's CPU state while it is not in ring 3 (x87/SSE).
    let cpuState = UserCPUState()

    init(id: Int, name: UnsafeRawBufferPointer, space: UserAddressSpace) {
        self.id = id
        self.name = name
        self.space = space
    }

    var pagesMapped: Int { space.mapped4KiBCount }

    // MARK: - Mapping user memory

    /// Maps `pageCount` fresh zeroed frames at `start` with `flags`, all or nothing.
    func mapZeroed(at start: UInt64, pageCount: UInt64, flags: PageFlags) -> Errno? {
        var tables = KernelTableFrames()
        var mapped: UInt64 = 0
        while mapped < pageCount {
            guard let frame = try? KernelMemory.frames.allocate() else { return rollBack(start, mapped, .ENOMEM) }
            physicalPointer(frame.startAddress).initializeMemory(as: UInt8.self, repeating: 0, count: Int(frameSize))
            do throws(PageTableError) {
                try space.map(VirtualAddress(start + mapped * frameSize), to: frame, size: .size4KiB,
                              flags: flags, tableFrames: &tables)
            } catch {
                try? KernelMemory.frames.free(frame)
                return rollBack(start, mapped, error == .alreadyMapped ? .EEXIST : .ENOMEM)
            }
            mapped += 1
        }
        peakPages = max(peakPages, pagesMapped)
        return nil
    }

    private func rollBack(_ start: UInt64, _ mapped: UInt64, _ error: Errno) -> Errno {
        unmapAndFree(from: start, pageCount: mapped)
        return error
    }

    /// Unmaps pages and frees their frames; pages that are not mapped are skipped.
    func unmapAndFree(from start: UInt64, pageCount: UInt64) {
        var tables = KernelTableFrames()
        for index in 0..<pageCount {
            let page = VirtualAddress(start + index * frameSize)
            guard let frame = try? space.unmap(page, size: .size4KiB, tableFrames: &tables) else { continue }
            cpu_invlpg(page.raw)
            try? KernelMemory.frames.free(frame)
        }
    }

    /// Where an unhinted map of `pageCount` pages goes: the first free range (with one unmapped
    /// page on each side) at or after mapNext, else from the start of the map area; nil when none.
    func unhintedPlacement(pageCount: UInt64) -> UInt64? {
        let lower = VirtualAddress(UserLayout.mapAreaStart), end = VirtualAddress(UserLayout.mapAreaEnd)
        let from = VirtualAddress(min(max(mapNext, UserLayout.mapAreaStart), UserLayout.mapAreaEnd))
        let gap = UserLayout.mapGapPages
        let found = space.firstFreeRange(pageCount: pageCount, from: from, lower: lower, end: end, gapPages: gap)
            ?? space.firstFreeRange(pageCount: pageCount, from: lower, lower: lower, end: end, gapPages: gap)
        return found?.raw
    }

    /// True when every page of [start, start + pageCount pages) is mapped.
    func isMapped(from start: UInt64, pageCount: UInt64) -> Bool {
        for index in 0..<pageCount where space.translate(VirtualAddress(start + index * frameSize)) == nil { return false }
        return true
    }

    // MARK: - Teardown

    /// Frees every user frame and table frame. Returns (user frames, table frames) given back.
    func destroy() -> (userFrames: Int, tableFrames: Int) {
        var tables = KernelTableFrames()
        var userFrames = 0
        let tableFrames = space.destroy(tableFrames: &tables) { _, frame, size in
            let frames = size == .size4KiB ? 1 : 512
            for offset in 0..<frames { try? KernelMemory.frames.free(frame.advanced(by: Int64(offset))) }
            userFrames += frames
        }
        return (userFrames, tableFrames)
    }
}

/// Collects a process's console output into lines, so each line is one log event.
struct LineBuffer {
    static let capacity = 480
    var bytes = InlineArray<480, UInt8>(repeating: 0)
    var count = 0

    /// Appends a byte; returns true when the line is complete (newline or full).
    mutating func append(_ byte: UInt8) -> Bool {
        if byte == 0x0A { return true }
        bytes[count] = byte
        count += 1
        return count == Self.capacity
    }
}

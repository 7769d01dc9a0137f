// Each process's kernel stack: 64 KiB in its own slot of the kernel-stack area, with the page
// below it left unmapped (a guard: an overflow faults, and the double fault's IST stack reports
// it, instead of running into another process's stack). This file is the raw-pointer fence for
// kernel stacks: painting, the first switch frame, the saved stack pointer, the peak measure.
//
// The area is [508 GiB, 508 GiB + slotCount * slotBytes) in PML4 slot 0, above the identity map
// (KernelAddressSpace.identityMapLimit): slot 0's tables are shared by every user address space,
// so a stack mapped here is mapped in all of them. Its tables are the kernel space's, created
// with the first stack of a 2 MiB window and freed with its last (so frames balance at the end).
//
// Slot layout (slotBytes = 128 KiB): [guard page][64 KiB stack][unmapped to the next slot].
// The stack's top word holds the saved rsp while the process is switched out; entries from
// ring 3 start 16 bytes below the top (entryTop, 16-aligned).
import MemoryCore
import PageTables
import PhysicalMemory

@_extern(c, "user_first_entry") nonisolated(unsafe) var userFirstEntryCode: UInt8

struct KernelStack {
    static let areaStart: UInt64 = 508 * GiB
    static let slotCount = Scheduler.capacity
    static let slotBytes: UInt64 = 128 * KiB
    static let pageCount: UInt64 = 16
    static let byteCount: UInt64 = pageCount * frameSize
    static let flags: PageFlags = [.present, .writable, .noExecute]
    /// Which slots hold a stack (one bit per slot; slotCount <= 128).
    nonisolated(unsafe) static var slotsInUse: (UInt64, UInt64) = (0, 0)

    let slot: Int

    /// Lowest byte of the stack (the guard page is just below).
    var bottom: UInt64 { Self.areaStart + UInt64(slot) * Self.slotBytes + frameSize }
    var top: UInt64 { bottom + Self.byteCount }
    /// Where entries from ring 3 start (TSS.RSP0, the syscall stack): below the saved-rsp word.
    var entryTop: UInt64 { top - 16 }
    /// The saved rsp while the process is switched out (context_switch's save and load slot).
    var savedStackPointer: UnsafeMutablePointer<UInt64> { UnsafeMutablePointer(bitPattern: UInt(top - 8))! }

    /// Maps a fresh stack in a free slot, painted (for the peak measure), with a first switch
    /// frame that enters ring 3 at `entry` with rsp = `userStack`. nil when slots or frames ran out
    /// (everything taken is given back).
    static func allocate(entry: UInt64, userStack: UInt64) -> KernelStack? {
        guard let slot = freeSlot() else { return nil }
        let stack = KernelStack(slot: slot)
        var tables = KernelTableFrames()
        for page in 0 ..< pageCount {
            let address = VirtualAddress(stack.bottom + page * frameSize)
            guard let frame = try? KernelMemory.frames.allocate() else {
                stack.unmapPages(count: page)
                return nil
            }
            FrameTrace.allocated(frame, count: 1, owner: .kernelStack)
            do throws(PageTableError) {
                try KernelAddressSpace.space!.map(address, to: frame, size: .size4KiB, flags: flags, tableFrames: &tables)
            } catch {
                freeFrame(frame)
                stack.unmapPages(count: page)
                return nil
            }
        }
        setSlot(slot, inUse: true)
        let words = UnsafeMutablePointer<UInt64>(bitPattern: UInt(stack.bottom))!
        words.initialize(repeating: StackUsage.paint, count: Int(byteCount / 8))
        stack.prepareFirstEntry(entry: entry, userStack: userStack)
        return stack
    }

    /// The switch frame context_switch pops (boot/usermode.asm): r15 r14 r13 r12 rbx rbp rip,
    /// with r12 = entry, r13 = user stack, rip = user_first_entry.
    private func prepareFirstEntry(entry: UInt64, userStack: UInt64) {
        let firstEntry = withUnsafeMutablePointer(to: &userFirstEntryCode) { UInt64(UInt(bitPattern: $0)) }
        let frame = UnsafeMutablePointer<UInt64>(bitPattern: UInt(entryTop - 7 * 8))!
        let values: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, userStack, entry, 0, 0, firstEntry)
        withUnsafeBytes(of: values) { frame.initialize(from: $0.bindMemory(to: UInt64.self).baseAddress!, count: 7) }
        savedStackPointer.pointee = UInt64(UInt(bitPattern: frame))
    }

    /// Deepest use of the stack so far: bytes from the top down to the lowest overwritten paint.
    var peakBytes: UInt64 {
        let words = UnsafePointer<UInt64>(bitPattern: UInt(bottom))!
        var index = 0
        while UInt64(index) < Self.byteCount / 8 && words[index] == StackUsage.paint { index += 1 }
        return Self.byteCount - UInt64(index) * 8
    }

    /// Unmaps the stack and frees its frames (never the running stack: the caller is the
    /// scheduler, on the boot stack). Returns the frames freed.
    func free() -> Int {
        unmapPages(count: Self.pageCount)
        Self.setSlot(slot, inUse: false)
        return Int(Self.pageCount)
    }

    private func unmapPages(count: UInt64) {
        var tables = KernelTableFrames()
        for page in 0 ..< count {
            let address = VirtualAddress(bottom + page * frameSize)
            let frame: FrameNumber
            do throws(PageTableError) {
                frame = try KernelAddressSpace.space!.unmap(address, size: .size4KiB, tableFrames: &tables)
            } catch {
                panic("kernel stack page not mapped", "address", address.raw)
            }
            cpu_invlpg(address.raw)
            Self.freeFrame(frame)
        }
    }

    private static func freeFrame(_ frame: FrameNumber) {
        do throws(FrameAllocatorError) { try KernelMemory.frames.free(frame) } catch {
            panic("kernel stack frame free refused", "frame", frame.raw)
        }
        FrameTrace.freed(frame, count: 1, owner: .kernelStack)
    }

    private static func freeSlot() -> Int? {
        for slot in 0 ..< slotCount where !isInUse(slot) { return slot }
        return nil
    }

    private static func isInUse(_ slot: Int) -> Bool {
        let word = slot < 64 ? slotsInUse.0 : slotsInUse.1
        return word & (1 << UInt64(slot % 64)) != 0
    }

    private static func setSlot(_ slot: Int, inUse: Bool) {
        let bit: UInt64 = 1 << UInt64(slot % 64)
        if slot < 64 {
            slotsInUse.0 = inUse ? slotsInUse.0 | bit : slotsInUse.0 & ~bit
        } else {
            slotsInUse.1 = inUse ? slotsInUse.1 | bit : slotsInUse.1 & ~bit
        }
    }
}

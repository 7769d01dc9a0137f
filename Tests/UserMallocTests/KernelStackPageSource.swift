// KernelStackPageSource: a UserMalloc page source that runs the kernel's own memory stack on the
// host, so the heap tests exercise PhysicalMemory's frame allocator and PageTables' address space
// exactly as the kernel's `map`/`unmap` syscalls do (Kernel/Process/Process.swift, Syscalls.swift).
//
// The machine: a host buffer plays physical memory [0, ramBytes), with a QEMU-like firmware map
// (a hole below 1 MiB and at the top) and the kernel's first-mebibyte reservation. A FrameAllocator
// (metadata in a separate host allocation) manages its usable frames; an AddressSpace(.user) reads
// and writes its tables in the buffer and takes its table frames from the same allocator.
//
// The mapping itself is the kernel's code: Syscalls' ProcessMemory performs `map` and `unmap`
// (decode -> validate -> invoke, the same functions the kernel's syscall entry calls), over a
// StackMachine whose frame source hands out the pages of one physically contiguous run.
//
// map(n pages, alignment a):
//   virtual start = alignUp(bump, a), outside [mapAreaStart, mapAreaEnd) is out of memory;
//   frames = allocate(count: n, alignment: a / 4 KiB): ONE physically contiguous run;
//   ProcessMemory.perform(.map(hint: start, n pages, read|write)): page i gets frame run + i,
//   zeroed, user|writable|NX, all or nothing (a refusal hands every frame back);
//   bump = start + n pages + one unmapped guard page (virtual addresses are never reused).
// The host cannot run through those tables, so the pointer handed to the heap is the run's first
// byte in the buffer (host = ramBase + physical; ramBase is aligned to more than any alignment the
// source accepts, so the host pointer honours `a` because the frame run does). The virtual range
// is recorded beside it, keyed by the run's first frame.
// unmap(pointer, bytes): the pointer must name a recorded mapping of exactly that size; every page
// is translated through the tables and must map its own frame with the user-data flags; then
// ProcessMemory.perform(.unmap) unmaps the pages (freeing tables left empty), handing back the
// frames, which must be the run's in order; the frames are poisoned and the run freed.
//
// Invariants (checkInvariants(), first violation returned, never trapping):
//   frame allocator and address space pass their own checkers (table frames proven outstanding)
//   usedFrames == outstandingTableFrames + mappedPages + withheldFrames
//   space.tableFrameCount == outstandingTableFrames,  space.mapped4KiBCount == mappedPages
//   mappedPages == Σ mapping.pageCount
//   page i of mapping m translates to m.firstFrame + i, 4 KiB, flags ⊇ user|writable|NX
//   frame m.firstFrame is an allocation start, the rest of the run inside it
//   mappings in virtual order: start_k + pages_k + guard <= start_(k+1),  last end + guard <= bump
//
// Contract violations by the heap (bad sizes, unmaps that name no mapping) and translation
// mismatches are recorded in `faults` and change nothing; tests require `faults` to stay empty.

#if canImport(Glibc)
import Glibc
#endif
import MemoryCore
import PageTables
import PhysicalMemory
import Syscalls
import UserMalloc
import TestSupport

// MARK: - Simulated physical memory (the only raw-pointer arithmetic of this file)

/// A host buffer that plays physical memory [0, byteCount).
final class SimulatedPhysicalMemory {
    /// Host address of physical address 0. Aligned to `hostAlignment`.
    let base: UnsafeMutableRawPointer
    let byteCount: UInt64
    /// Every mapping alignment up to this is honoured by host pointers (host = base + physical).
    let hostAlignment: UInt64

    /// Contract: `byteCount` is a positive multiple of 4 KiB. The contents start as 0xCC garbage so
    /// that a frame handed out without being zeroed shows.
    init(byteCount: UInt64) {
        precondition(byteCount > 0 && byteCount % frameSize == 0, "RAM must be whole frames")
        self.byteCount = byteCount
        hostAlignment = max(1 << UInt64(ceilLog2(byteCount)), 2 * MiB)
        var raw: UnsafeMutableRawPointer?
        let status = posix_memalign(&raw, Int(hostAlignment), Int(byteCount))
        precondition(status == 0 && raw != nil, "posix_memalign failed for the simulated RAM")
        base = raw!
        base.initializeMemory(as: UInt8.self, repeating: 0xCC, count: Int(byteCount))
    }

    deinit { Glibc.free(base) }

    /// The host pointer of `address`. Contract: address < byteCount (trapped otherwise).
    func pointer(to address: PhysicalAddress) -> UnsafeMutableRawPointer {
        precondition(address.raw < byteCount, "simulated RAM: physical address outside the buffer")
        return base + Int(address.raw)
    }

    /// The physical address of a host pointer into the buffer, or nil for any other pointer.
    func physicalAddress(of pointer: UnsafeRawPointer) -> PhysicalAddress? {
        let host = UInt(bitPattern: pointer)
        let start = UInt(bitPattern: base)
        guard host >= start, UInt64(host - start) < byteCount else { return nil }
        return PhysicalAddress(UInt64(host - start))
    }

    /// Fills every byte of `frames` with `byte`. Contract: the frames lie inside the buffer.
    func fill(_ frames: FrameRange, with byte: UInt8) {
        precondition(frames.end.startAddress.raw <= byteCount, "simulated RAM: fill outside the buffer")
        pointer(to: frames.start.startAddress).initializeMemory(
            as: UInt8.self, repeating: byte,
            count: Int(frames.count * frameSize))
    }

    /// Whether every byte of `frames` equals `byte` (memcmp against itself shifted by one).
    func holds(_ frames: FrameRange, _ byte: UInt8) -> Bool {
        let start = pointer(to: frames.start.startAddress)
        let count = Int(frames.count * frameSize)
        return start.load(as: UInt8.self) == byte && memcmp(start, start + 1, count - 1) == 0
    }
}

/// The address space's view of physical memory: the simulated buffer.
struct SimulatedMemoryAccess: PhysicalMemoryAccess {
    let ram: SimulatedPhysicalMemory
    func pointer(to address: PhysicalAddress) -> UnsafeMutableRawPointer { ram.pointer(to: address) }
}

// MARK: - Table frames from the frame allocator

/// The kernel's TableFrameSource (KernelTableFrames) plus the bookkeeping that lets the address
/// space's checker prove every table frame is accounted for: this source serves one space only.
struct AllocatorTableFrames: TableFrameSource, TableFrameLedger {
    let allocator: FrameAllocator
    let ram: SimulatedPhysicalMemory
    private(set) var outstanding: Set<FrameNumber> = []
    /// Frees the allocator refused (would be a kernel panic).
    private(set) var refusedFrees: [FrameAllocatorError] = []

    init(allocator: FrameAllocator, ram: SimulatedPhysicalMemory) {
        self.allocator = allocator
        self.ram = ram
    }

    mutating func allocateTableFrame() -> FrameNumber? {
        guard let frame = try? allocator.allocate() else { return nil }
        outstanding.insert(frame)
        return frame
    }

    mutating func freeTableFrame(_ frame: FrameNumber) {
        outstanding.remove(frame)
        ram.fill(FrameRange(frame, frame.advanced(by: 1)), with: 0xA5)
        do throws(FrameAllocatorError) { try allocator.free(frame) } catch { refusedFrees.append(error) }
    }

    func isOutstandingTableFrame(_ frame: FrameNumber) -> Bool {
        outstanding.contains(frame) && allocator.state(of: frame) == .allocatedRunStart
    }

    var outstandingTableFrameCount: Int? { outstanding.count }
}

// MARK: - The page source

/// One mapping made by `mapPages`: `pageCount` pages at `virtualStart`, backed by the frame run
/// [firstFrame, firstFrame + pageCount).
struct StackMapping: Equatable {
    var virtualStart: VirtualAddress
    var firstFrame: FrameNumber
    var pageCount: UInt64

    var frames: FrameRange { FrameRange(firstFrame, firstFrame.advanced(by: Int64(pageCount))) }
    var virtualEnd: VirtualAddress { VirtualAddress(virtualStart.raw + pageCount * frameSize) }
}

/// A call the heap got wrong, or a page-table state unmap refused to act on. Nothing changed.
enum StackSourceFault: Equatable {
    case badMapArguments(byteCount: Int, alignment: Int)
    /// The pointer is not the start of a recorded mapping.
    case unmapOfUnknownPointer(UInt)
    case unmapWithWrongByteCount(recorded: Int, given: Int)
    case translationMismatch(page: VirtualAddress, expected: FrameNumber, found: Translation?)
    case pageTableRefused(PageTableError)
    case frameFreeRefused(FrameAllocatorError)
    /// The kernel's map or unmap refused a call the heap was entitled to make.
    case syscallRefused(Rejection)
    /// The kernel's unmap handed back frames other than the mapping's run, in order.
    case framesReturnedOutOfOrder
}

/// The kernel's SyscallMachine on the host: user frames are the pages of one frame run reserved
/// by the page source before each map (so the mapping is physically contiguous and the heap can
/// use the run's host bytes directly); frames handed back are collected for the source to check
/// and free as one run. No TLB: invalidations are counted.
struct StackMachine: SyscallMachine {
    let ram: SimulatedPhysicalMemory
    let allocator: FrameAllocator
    /// The run the next map takes its frames from, and how many it took.
    var run: FrameRange?
    var taken: UInt64 = 0
    /// Frames the last call handed back, in order.
    var returned: [FrameNumber] = []
    var invalidations = 0
    /// Every map here populates (the heap uses the run's host bytes directly: a host double takes
    /// no page faults), so the zero frame is never mapped; frame 0, reserved at boot, stands in.
    let sharedZeroFrame = FrameNumber(0)
    /// Tests withhold frames behind any ledger's back to force exhaustion, so this one has no
    /// limit: running out shows as out-of-frames / out-of-table-frames, as before strict commit.
    var commit = SystemCommit(limitPages: UInt64.max)

    mutating func allocateUserFrame(for page: VirtualAddress) -> FrameNumber? {
        guard let run, taken < run.count else { return nil }
        let frame = run.start.advanced(by: Int64(taken))
        taken += 1
        ram.fill(FrameRange(frame, frame.advanced(by: 1)), with: 0)
        return frame
    }

    mutating func freeUserFrame(_ frame: FrameNumber) { returned.append(frame) }
    func invalidate(page: VirtualAddress) {}
    var freeFrameCount: UInt64 { allocator.statistics.freeFrames }
    mutating func writeConsole(_ bytes: UnsafeRawBufferPointer) {}
}

/// The first broken rule `KernelStackPageSource.checkInvariants()` found.
enum StackSourceViolation: Equatable {
    case frameAllocator(FrameAllocatorInvariantViolation)
    case pageTables(PageTableInvariantViolation)
    case frameAccounting(used: UInt64, tables: Int, mappedPages: UInt64, withheld: Int)
    case tableCount(space: Int, outstanding: Int)
    case mappedPageCount(space: Int, recorded: UInt64, summed: UInt64)
    case translation(page: VirtualAddress, expected: FrameNumber, found: Translation?)
    case frameRunState(frame: FrameNumber, state: FrameState)
    case mappingOrder(VirtualAddress)
    case faultsRecorded(count: Int)
    case processMemory(ProcessMemoryViolation)
}

/// Whether a frame count left by `withholdFrames(leaving:)` is exact.
enum WithholdOutcome: Equatable {
    case leftExactly(UInt64)
    case alreadyBelow(free: UInt64)
}

final class KernelStackPageSource: PageSource {
    /// The kernel's map area (Sources/Syscalls/UserLayout.swift).
    static let mapAreaStart = UserSpace.mapAreaStart
    static let mapAreaEnd = UserSpace.mapAreaEnd
    /// What the kernel maps for PROT_READ | PROT_WRITE.
    static let userDataFlags: PageFlags = [.user, .writable, .noExecute]

    let ram: SimulatedPhysicalMemory
    private let metadata: UnsafeMutableRawPointer
    let allocator: FrameAllocator
    /// The process's memory, exactly as the kernel keeps it.
    var memory: ProcessMemory<SimulatedMemoryAccess, AllocatorTableFrames>
    private var machine: StackMachine
    var space: AddressSpace<SimulatedMemoryAccess> {
        get { memory.space }
        set { memory.space = newValue }
    }
    var tableFrames: AllocatorTableFrames { memory.tableFrames }
    /// Live mappings, keyed by their first frame (= the host pointer handed out).
    private(set) var mappings: [FrameNumber: StackMapping] = [:]
    /// Next candidate virtual address (the heap's own placement, aligned; the kernel is given it as a hint).
    private(set) var mapNext = KernelStackPageSource.mapAreaStart
    private(set) var mappedPages: UInt64 = 0
    private(set) var faults: [StackSourceFault] = []
    /// Frames a test took away from the heap to force exhaustion (single-frame allocations).
    private var withheld: [FrameNumber] = []
    private(set) var mapCount = 0
    private(set) var unmapCount = 0
    /// mapPages calls answered nil because frames (or table frames) ran out.
    private(set) var outOfMemoryCount = 0
    private(set) var isDestroyed = false

    /// A machine with `ramBytes` of simulated physical memory (a multiple of 4 KiB, > 2 MiB).
    init(ramBytes: UInt64) throws {
        ram = SimulatedPhysicalMemory(byteCount: ramBytes)
        let usable = UsableFrameRanges(map: Self.firmwareMap(ramBytes: ramBytes), reservations: Self.bootReservations())
        let metadataBytes = FrameAllocator.metadataByteCount(managing: usable.span)
        metadata = UnsafeMutableRawPointer.allocate(byteCount: Int(metadataBytes), alignment: 8)
        allocator = try FrameAllocator(
            span: usable.span, storage: metadata, storageByteCount: metadataBytes,
            usable: usable, reservations: Self.bootReservations())
        var tableFrames = AllocatorTableFrames(allocator: allocator, ram: ram)
        let space = try AddressSpace(kind: .user, memory: SimulatedMemoryAccess(ram: ram), tableFrames: &tableFrames)
        memory = ProcessMemory(space: space, tableFrames: tableFrames)
        machine = StackMachine(ram: ram, allocator: allocator)
    }

    deinit { metadata.deallocate() }

    /// What QEMU's pc machine reports for small `-m`: RAM below 640 KiB, the VGA/BIOS hole, RAM
    /// from 1 MiB to the top but for 8 KiB of firmware data.
    static func firmwareMap(ramBytes: UInt64) -> MemoryMap {
        var map = MemoryMap()
        map.append(MemoryRegion(start: 0, end: 0x9_FC00, kind: .usable))
        map.append(MemoryRegion(start: 0x9_FC00, end: 0xA_0000, kind: .reserved))
        map.append(MemoryRegion(start: 0xF_0000, end: MiB, kind: .reserved))
        map.append(MemoryRegion(start: MiB, end: ramBytes - 8 * KiB, kind: .usable))
        map.append(MemoryRegion(start: ramBytes - 8 * KiB, end: ramBytes, kind: .reserved))
        return map
    }

    /// The kernel reserves the first mebibyte (real-mode structures, boot data).
    static func bootReservations() -> ReservationList {
        var list = ReservationList()
        try! list.add(PhysicalRange(start: PhysicalAddress(0), end: PhysicalAddress(MiB)), reason: .firstMebibyte)
        return list
    }

    // MARK: Observations

    var frameStatistics: FrameStatistics { allocator.statistics }
    var freeFrames: UInt64 { allocator.statistics.freeFrames }
    var usedFrames: UInt64 { allocator.statistics.usedFrames }
    var outstandingTableFrames: Int { tableFrames.outstanding.count }
    var mappedBytes: Int { Int(mappedPages * frameSize) }
    var mappingCount: Int { mappings.count }

    /// O(1) accounting: the frame equation and the space's counters (cheap enough for every op).
    func cheapCheck() -> StackSourceViolation? {
        if !faults.isEmpty || !tableFrames.refusedFrees.isEmpty {
            return .faultsRecorded(count: faults.count + tableFrames.refusedFrees.count)
        }
        guard usedFrames == UInt64(outstandingTableFrames) + mappedPages + UInt64(withheld.count) else {
            return .frameAccounting(
                used: usedFrames, tables: outstandingTableFrames, mappedPages: mappedPages, withheld: withheld.count)
        }
        guard isDestroyed || space.tableFrameCount == outstandingTableFrames else {
            return .tableCount(space: space.tableFrameCount, outstanding: outstandingTableFrames)
        }
        guard isDestroyed || UInt64(space.mapped4KiBCount) == mappedPages, space.mapped2MiBCount == 0 else {
            return .mappedPageCount(space: space.mapped4KiBCount, recorded: mappedPages, summed: mappedPages)
        }
        return nil
    }

    /// Every invariant of the file comment. O(frames / 64 + tables + mapped pages).
    func checkInvariants() -> StackSourceViolation? {
        if let violation = allocator.checkInvariants() { return .frameAllocator(violation) }
        if let violation = cheapCheck() { return violation }
        if isDestroyed { return nil }
        if let violation = space.checkInvariants(ledger: tableFrames) { return .pageTables(violation) }
        if let violation = memory.checkInvariants(zeroFrame: machine.sharedZeroFrame) { return .processMemory(violation) }
        let summed = mappings.values.reduce(0) { $0 + $1.pageCount }
        guard summed == mappedPages else {
            return .mappedPageCount(space: space.mapped4KiBCount, recorded: mappedPages, summed: summed)
        }
        return checkMappingOrder() ?? mappings.values.lazy.compactMap(checkMapping).first
    }

    /// Frames allocated as the mapping's run, every page translating to its own frame.
    private func checkMapping(_ mapping: StackMapping) -> StackSourceViolation? {
        for index in 0 ..< mapping.pageCount {
            let frame = mapping.firstFrame.advanced(by: Int64(index))
            let expectedState: FrameState = index == 0 ? .allocatedRunStart : .allocatedInsideRun
            let state = allocator.state(of: frame)
            guard state == expectedState else { return .frameRunState(frame: frame, state: state) }
            let page = VirtualAddress(mapping.virtualStart.raw + index * frameSize)
            let found = space.translate(page)
            guard Self.isUserData(found, frame: frame) else { return .translation(page: page, expected: frame, found: found) }
        }
        return nil
    }

    /// Mappings lie in the map area below the bump pointer, each followed by a guard page.
    private func checkMappingOrder() -> StackSourceViolation? {
        var previousEnd = Self.mapAreaStart
        var first = true
        for mapping in mappings.values.sorted(by: { $0.virtualStart < $1.virtualStart }) {
            guard mapping.virtualStart >= previousEnd, first || mapping.virtualStart.raw >= previousEnd.raw + frameSize else {
                return .mappingOrder(mapping.virtualStart)
            }
            previousEnd = mapping.virtualEnd
            first = false
        }
        guard first || previousEnd.raw + frameSize <= mapNext.raw else { return .mappingOrder(previousEnd) }
        return nil
    }

    static func isUserData(_ translation: Translation?, frame: FrameNumber) -> Bool {
        guard let translation else { return false }
        return translation.frame == frame && translation.size == .size4KiB
            && translation.flags.isSuperset(of: userDataFlags.union(.present))
    }

    /// The mapping holding `pointer` and the virtual address the pointer stands for, or nil when
    /// the pointer is in no mapping. Walks down from the pointer's frame to its run's first frame.
    func virtualAddress(of pointer: UnsafeRawPointer) -> VirtualAddress? {
        guard let physical = ram.physicalAddress(of: pointer) else { return nil }
        var frame = physical.containingFrame
        while true {
            if let mapping = mappings[frame] {
                guard mapping.frames.contains(physical.containingFrame) else { return nil }
                return VirtualAddress(mapping.virtualStart.raw + (physical.raw - mapping.firstFrame.startAddress.raw))
            }
            guard frame.raw > 0, allocator.state(of: frame) == .allocatedInsideRun else { return nil }
            frame = frame.advanced(by: -1)
        }
    }

    /// What the CPU would reach at `address` through the page tables, as a host pointer (nil when
    /// the address is not mapped as user data).
    func hostPointer(translating address: VirtualAddress) -> UnsafeMutableRawPointer? {
        guard let translation = space.translate(address), Self.isUserData(translation, frame: translation.frame) else {
            return nil
        }
        return ram.pointer(to: translation.physical)
    }

    // MARK: PageSource

    func mapPages(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        precondition(!isDestroyed, "map after the address space was destroyed")
        guard byteCount > 0, byteCount % Int(frameSize) == 0, alignment >= Int(frameSize), alignment & (alignment - 1) == 0 else {
            faults.append(.badMapArguments(byteCount: byteCount, alignment: alignment))
            return nil
        }
        let pageCount = UInt64(byteCount) / frameSize
        guard UInt64(alignment) <= ram.hostAlignment, let start = placement(pageCount: pageCount, alignment: UInt64(alignment))
        else {
            return outOfMemory()
        }
        guard let run = try? allocator.allocate(count: pageCount, alignment: UInt64(alignment) / frameSize) else {
            return outOfMemory()
        }
        let mapping = StackMapping(virtualStart: start, firstFrame: run, pageCount: pageCount)
        (machine.run, machine.taken, machine.returned) = (mapping.frames, 0, [])
        let outcome = memory.perform(
            .map(
                hint: start.raw, length: UInt64(byteCount), protection: Protection.readWrite.rawValue,
                options: MapOptions.populateBit),
            machine: &machine)
        machine.run = nil
        if let rejection = outcome.rejection {
            if rejection.reason != .outOfTableFrames { faults.append(.syscallRefused(rejection)) }
            if machine.returned
                != Array(mapping.frames.start.raw ..< mapping.frames.start.raw + machine.taken).map(FrameNumber.init)
            {
                faults.append(.framesReturnedOutOfOrder)
            }
            releaseFrames(of: mapping)
            return outOfMemory()
        }
        mappings[run] = mapping
        mappedPages += pageCount
        mapNext = VirtualAddress(mapping.virtualEnd.raw + frameSize)  // one unmapped guard page
        mapCount += 1
        return ram.pointer(to: run.startAddress)
    }

    /// Never: the heap's pointers here are host pointers into physically contiguous frame runs,
    /// and a run cannot grow without new frames right after it (which moving page-table entries
    /// does not give). The heap then copies; `remap` itself is tested in SyscallsTests/RemapTests.
    func remapPages(
        _ pointer: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int,
        alignment: Int
    ) -> UnsafeMutableRawPointer? {
        nil
    }

    func unmapPages(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        guard let mapping = recordedMapping(at: pointer, byteCount: byteCount),
            firstTranslationMismatch(of: mapping) == nil
        else { return }
        machine.returned = []
        let outcome = memory.perform(.unmap(address: mapping.virtualStart.raw, length: UInt64(byteCount)), machine: &machine)
        if let rejection = outcome.rejection {
            faults.append(.syscallRefused(rejection))
            return
        }
        if machine.returned != Array(mapping.frames.start.raw ..< mapping.frames.end.raw).map(FrameNumber.init) {
            faults.append(.framesReturnedOutOfOrder)
        }
        releaseFrames(of: mapping)
        mappings[mapping.firstFrame] = nil
        mappedPages -= mapping.pageCount
        unmapCount += 1
    }

    /// The virtual range for `pageCount` pages at `alignment` (plus the guard page that follows),
    /// or nil when the map area is exhausted.
    private func placement(pageCount: UInt64, alignment: UInt64) -> VirtualAddress? {
        guard let start = alignUp(mapNext.raw, to: alignment),
            pageCount <= (Self.mapAreaEnd.raw - min(start, Self.mapAreaEnd.raw)) / frameSize - 1
        else { return nil }
        return VirtualAddress(start)
    }

    private func outOfMemory() -> UnsafeMutableRawPointer? {
        outOfMemoryCount += 1
        return nil
    }

    /// Poisons the mapping's frames and frees the run.
    private func releaseFrames(of mapping: StackMapping) {
        ram.fill(mapping.frames, with: 0xA5)
        do throws(FrameAllocatorError) {
            try allocator.free(runStartingAt: mapping.firstFrame, count: mapping.pageCount)
        } catch {
            faults.append(.frameFreeRefused(error))
        }
    }

    /// The mapping that starts at `pointer` with exactly `byteCount` bytes, else a recorded fault.
    private func recordedMapping(at pointer: UnsafeMutableRawPointer, byteCount: Int) -> StackMapping? {
        guard let physical = ram.physicalAddress(of: pointer), physical.isFrameAligned,
            let mapping = mappings[physical.containingFrame]
        else {
            faults.append(.unmapOfUnknownPointer(UInt(bitPattern: pointer)))
            return nil
        }
        guard mapping.pageCount * frameSize == UInt64(byteCount) else {
            faults.append(.unmapWithWrongByteCount(recorded: Int(mapping.pageCount * frameSize), given: byteCount))
            return nil
        }
        return mapping
    }

    /// Translates every page of `mapping` through the tables; the first page that does not map its
    /// own frame as user data is recorded as a fault and returned.
    private func firstTranslationMismatch(of mapping: StackMapping) -> StackSourceFault? {
        for index in 0 ..< mapping.pageCount {
            let page = VirtualAddress(mapping.virtualStart.raw + index * frameSize)
            let frame = mapping.firstFrame.advanced(by: Int64(index))
            let found = space.translate(page)
            if !Self.isUserData(found, frame: frame) {
                let fault = StackSourceFault.translationMismatch(page: page, expected: frame, found: found)
                faults.append(fault)
                return fault
            }
        }
        return nil
    }

    // MARK: Test controls

    /// Allocates single frames until only `remaining` are free (to make frames run out on demand).
    @discardableResult
    func withholdFrames(leaving remaining: UInt64) -> WithholdOutcome {
        guard freeFrames >= remaining else { return .alreadyBelow(free: freeFrames) }
        while freeFrames > remaining, let frame = try? allocator.allocate() { withheld.append(frame) }
        return .leftExactly(freeFrames)
    }

    /// Gives every withheld frame back.
    func releaseWithheldFrames() {
        for frame in withheld {
            do throws(FrameAllocatorError) { try allocator.free(frame) } catch { faults.append(.frameFreeRefused(error)) }
        }
        withheld.removeAll()
    }

    /// Tears the address space down as process exit does: every table frame (the PML4 included)
    /// goes back to the allocator, and so does the frame run of every mapping still recorded (each
    /// leaf the teardown reports must be a page of one). Returns the table frames freed and the
    /// leaves reported. The source maps nothing afterwards.
    @discardableResult
    func destroyAddressSpace() -> (tableFrames: Int, leaves: Int) {
        precondition(!isDestroyed, "address space destroyed twice")
        var leaves = 0
        var strayLeaf: StackSourceFault?
        let recorded = mappings
        let freedTables = memory.space.destroy(tableFrames: &memory.tableFrames) { page, frame, _ in
            leaves += 1
            let owner = recorded.values.first { $0.virtualStart <= page && page < $0.virtualEnd }
            let expected = owner.map { $0.firstFrame.advanced(by: Int64((page.raw - $0.virtualStart.raw) / frameSize)) }
            if expected != frame, strayLeaf == nil {
                strayLeaf = .translationMismatch(page: page, expected: expected ?? FrameNumber(0), found: nil)
            }
        }
        if let strayLeaf { faults.append(strayLeaf) }
        for mapping in recorded.values { releaseFrames(of: mapping) }
        mappings.removeAll()
        mappedPages = 0
        isDestroyed = true
        return (freedTables, leaves)
    }
}

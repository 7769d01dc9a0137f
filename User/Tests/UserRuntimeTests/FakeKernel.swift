// A fake SwiftMM kernel for host tests: `swiftmm_syscall6` (the asm stub's C name) answered by the
// kernel's own code. Calls are decoded and performed by Syscalls' ProcessMemory, exactly as the
// kernel's syscall entry does; only the machine differs (HostMachine below).
//
// The machine: the host's own address space plays both virtual and physical memory, so a pointer
// the fake kernel returns is directly usable by the code under test.
//   - user pages live in a 64 GiB reservation at UserSpace.mapAreaStart (where the kernel places
//     unhinted maps), PROT_NONE until mapped; the frame backing page P is "physical" P (identity),
//     made readable and writable and zeroed when mapped, and made PROT_NONE again when unmapped,
//     so a use after unmap faults as on the real machine;
//   - page tables live in host pages from posix_memalign (frame = host address / 4 KiB);
//   - no TLB: invalidations are counted; write() output is collected in `written`.
// A hint outside the reservation has no host memory behind it: such a map is refused ENOMEM
// (out of frames). And the code under test touches the host pages directly, so a fault can never
// reach this kernel: every map is performed with map's populate option and every remap with
// remap's populate flag (the pages it adds are backed at the call), both set here before the
// kernel's own code runs, so no page the code under test can touch is ever left to a fault; the
// stack is not set up here.
// The other: an unhinted remap never moves (its mayMove bit is cleared before the kernel's code
// runs): moved entries would map page P' to frame P, which the identity cannot show at P'. In-place
// growth and shrinking run unchanged; a growth that would move is refused ENOMEM
// (no-room-in-place), and the heap then copies. A fixed remap (flags bit 2) runs the kernel's own
// code, then restores the identity: each moved page's bytes are copied to the host page at its new
// address and its entry pointed there, the old host page given back (`restoreIdentity`); its
// destination must lie in the reservation (else ENOMEM, as a hint outside it). Those are the ways
// this model departs from the kernel.
//
// It has no handle tables and no memory objects: an object call (12-21) not answered by
// `forcedResult` gets ENOSYS, and a spawn with handles EBADF (ProcessMachine's default).
// Hooks for the wrapper tests: `forcedResult` answers the next call of any number; `failNextMap`
// and `failUnmaps` answer map/unmap with an errno without performing them (a kernel that breaks the ABI).
#if canImport(Glibc)
import Glibc
#endif
import MemoryCore
import PageTables
import Syscalls
import Testing

struct RecordedCall: Equatable {
    var number: UInt64
    var arguments: [UInt64]
}

/// Physical address == host address.
struct HostIdentityAccess: PhysicalMemoryAccess {
    func pointer(to address: PhysicalAddress) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(bitPattern: UInt(address.raw))!
    }
}

/// Table frames from the host allocator; the ledger the address space's checker asks for.
struct HostTableFrames: TableFrameSource, TableFrameLedger {
    var outstanding: Set<FrameNumber> = []

    mutating func allocateTableFrame() -> FrameNumber? {
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 4096, 4096) == 0, let raw else { return nil }
        let frame = FrameNumber(UInt64(UInt(bitPattern: raw)) >> 12)
        outstanding.insert(frame)
        return frame
    }

    mutating func freeTableFrame(_ frame: FrameNumber) {
        precondition(outstanding.remove(frame) != nil, "table frame freed twice")
        free(UnsafeMutableRawPointer(bitPattern: UInt(frame.startAddress.raw)))
    }

    func isOutstandingTableFrame(_ frame: FrameNumber) -> Bool { outstanding.contains(frame) }
    var outstandingTableFrameCount: Int? { outstanding.count }
}

struct HostMachine: SyscallMachine {
    static let arenaBytes: UInt64 = 64 << 30
    /// The reservation, made once per test process (every FakeKernel reuses it).
    nonisolated(unsafe) static let arena: UnsafeMutableRawPointer = {
        let flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | 0x10_0000  // MAP_FIXED_NOREPLACE
        let raw = mmap(
            UnsafeMutableRawPointer(bitPattern: UInt(UserSpace.mapAreaStart.raw)), Int(arenaBytes), PROT_NONE, flags, -1, 0)
        precondition(
            raw != MAP_FAILED && raw == UnsafeMutableRawPointer(bitPattern: UInt(UserSpace.mapAreaStart.raw)),
            "the fake kernel needs the host range at UserSpace.mapAreaStart")
        return raw!
    }()

    var written: [UInt8] = []
    var userFrames = 0
    let invalidations = Counter()
    /// Never mapped (every map populates; see the file comment): a page of its own stands in.
    let sharedZeroFrame: FrameNumber = {
        var raw: UnsafeMutableRawPointer?
        precondition(posix_memalign(&raw, 4096, 4096) == 0)
        raw!.initializeMemory(as: UInt8.self, repeating: 0, count: 4096)
        return FrameNumber(UInt64(UInt(bitPattern: raw!)) >> 12)
    }()
    /// The arena's pages, less nothing: the host reserves them lazily.
    var commit = SystemCommit(limitPages: HostMachine.arenaBytes / 4096)

    static func contains(_ page: VirtualAddress) -> Bool {
        page >= UserSpace.mapAreaStart && page.raw < UserSpace.mapAreaStart.raw + arenaBytes
    }

    mutating func allocateUserFrame(for page: VirtualAddress) -> FrameNumber? {
        guard Self.contains(page), let pointer = UnsafeMutableRawPointer(bitPattern: UInt(page.raw)),
            mprotect(pointer, 4096, PROT_READ | PROT_WRITE) == 0
        else { return nil }
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: 4096)
        userFrames += 1
        return page.containingFrameNumber
    }

    mutating func freeUserFrame(_ frame: FrameNumber) {
        let pointer = UnsafeMutableRawPointer(bitPattern: UInt(frame.startAddress.raw))!
        precondition(madvise(pointer, 4096, MADV_DONTNEED) == 0 && mprotect(pointer, 4096, PROT_NONE) == 0)
        userFrames -= 1
    }

    func invalidate(page: VirtualAddress) { invalidations.count += 1 }
    var freeFrameCount: UInt64 { Self.arenaBytes / 4096 - UInt64(userFrames) }
    mutating func writeConsole(_ bytes: UnsafeRawBufferPointer) { written.append(contentsOf: bytes) }
}

final class Counter: @unchecked Sendable { var count = 0 }

extension VirtualAddress {
    var containingFrameNumber: FrameNumber { FrameNumber(raw >> 12) }
}

/// The fake kernel's processes: it is pid 1; the programs it knows are `hello` (exits 0) and
/// `bad_pointer` (killed by a page fault); a child "runs" when it is waited for.
struct FakeProcesses: ProcessMachine {
    let kernel: FakeKernel

    var callerID: UInt64 { 1 }

    func readCaller(address: UInt64, length: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(RejectionReason) {
        try kernel.memory.copyFromUser(address: address, length: length, into: buffer, machine: &kernel.machine)
    }

    func checkCallerWritable(address: UInt64, length: UInt64) throws(RejectionReason) {
        try kernel.memory.prepareUserWrite(address: address, length: length, machine: &kernel.machine)
    }

    func writeCaller(address: UInt64, from bytes: UnsafeRawBufferPointer) throws(RejectionReason) {
        try kernel.memory.writeUser(address: address, from: bytes, machine: &kernel.machine)
    }

    mutating func spawn(program name: UnsafeRawBufferPointer) -> Result<UInt64, SpawnFailure> {
        let status: UInt64
        switch String(decoding: name, as: UTF8.self) {
        case "hello": status = ProcessStatus.exited(code: 0).word
        case "bad_pointer": status = ProcessStatus.killed(faultNumber: 14).word
        default: return .failure(.noSuchProgram)
        }
        kernel.lastChild += 1
        kernel.children.append((pid: kernel.lastChild, status: status))
        return .success(kernel.lastChild)
    }

    mutating func waitForChild(_ pid: UInt64?) -> ChildWait {
        guard let index = kernel.children.firstIndex(where: { pid == nil || $0.pid == pid }) else { return .noSuchChild }
        let child = kernel.children.remove(at: index)
        return .ended(pid: child.pid, status: child.status)
    }

    mutating func yield() { kernel.yields += 1 }
}

final class FakeKernel: @unchecked Sendable {
    var children: [(pid: UInt64, status: UInt64)] = []
    var lastChild: UInt64 = 1
    var yields = 0
    var memory: ProcessMemory<HostIdentityAccess, HostTableFrames>
    var machine = HostMachine()
    var calls: [RecordedCall] = []
    /// When set, the next map answers this (then clears itself).
    var failNextMap: Int64? = nil
    /// When set, every unmap answers this (a kernel that breaks the ABI).
    var failUnmaps: Int64? = nil
    /// A result forced for the next call of any number (then cleared).
    var forcedResult: Int64? = nil

    init() {
        _ = HostMachine.arena
        var tables = HostTableFrames()
        let space = try! AddressSpace(kind: .user, memory: HostIdentityAccess(), tableFrames: &tables)
        memory = ProcessMemory(space: space, tableFrames: tables)
    }

    deinit { _ = memory.destroy(machine: &machine) }

    var written: [UInt8] { machine.written }
    var mappedPageCount: Int { memory.pagesMapped }

    func handle(_ number: UInt64, _ a: [UInt64]) -> Int64 {
        calls.append(RecordedCall(number: number, arguments: a))
        if let forced = forcedResult {
            forcedResult = nil
            return forced
        }
        switch SyscallRequest.decode(number: number, a[0], a[1], a[2], a[3], a[4], a[5]) {
        case .memory(var request):
            if case .map(let hint, let length, let protection, let options) = request {
                request = .map(hint: hint, length: length, protection: protection, options: options | MapOptions.populateBit)
            }
            if case .map = request, let error = failNextMap {
                failNextMap = nil
                return error
            }
            if case .unmap = request, let error = failUnmaps { return error }
            if case .remap(let address, let oldLength, let newLength, let flags, let destination) = request {
                if flags & RemapFlags.fixedBit != 0 {
                    return remapFixed(address, oldLength, newLength, flags | RemapFlags.populateBit, destination)
                }
                let inPlace = MemoryRequest.remap(
                    address: address, oldLength: oldLength, newLength: newLength,
                    flags: flags & ~RemapFlags.mayMoveBit | RemapFlags.populateBit)
                return memory.perform(inPlace, machine: &machine).result
            }
            return memory.perform(request, machine: &machine).result
        case .process(let request):
            var processes = FakeProcesses(kernel: self)
            return ProcessCalls.perform(request, machine: &processes).result
        case .object:
            // No handle tables or objects here: the object calls run in Sources/Syscalls' own host
            // tests and in QEMU; the wrapper tests answer them with `forcedResult`.
            return SyscallOutcome.unknownNumber.result
        case .exit: preconditionFailure("exit reached the fake kernel")
        case .unknown: return SyscallOutcome.unknownNumber.result
        }
    }

    /// A fixed remap: the kernel's own code (validation, refusals, the move of regions and
    /// entries), then the identity restored over the destination.
    func remapFixed(
        _ address: UInt64, _ oldLength: UInt64, _ newLength: UInt64, _ flags: UInt64, _ destination: UInt64
    ) -> Int64 {
        let bytes = UserSpace.pageRounded(newLength) ?? 0
        let (last, overflow) = destination.addingReportingOverflow(max(bytes, 4096) - 4096)
        guard !overflow, HostMachine.contains(VirtualAddress(destination)), HostMachine.contains(VirtualAddress(last)) else {
            return -Int64(Errno.outOfMemory.rawValue)  // no host memory there
        }
        let request = MemoryRequest.remap(
            address: address, oldLength: oldLength, newLength: newLength, flags: flags, destination: destination)
        let outcome = memory.perform(request, machine: &machine)
        if outcome.rejection == nil { restoreIdentity(from: destination, pageCount: bytes / 4096) }
        return outcome.result
    }

    /// After entries moved to [start, start + pageCount pages): every page whose frame is not its
    /// own host page gets its bytes copied there and its entry pointed there; the old page goes back.
    func restoreIdentity(from start: UInt64, pageCount: UInt64) {
        for index in 0 ..< pageCount {
            let page = VirtualAddress(start + index * 4096)
            guard let translation = memory.space.translate(page), translation.frame != page.containingFrameNumber else {
                continue
            }
            let own = machine.allocateUserFrame(for: page)!
            UnsafeMutableRawPointer(bitPattern: UInt(page.raw))!.copyMemory(
                from: UnsafeRawPointer(bitPattern: UInt(translation.frame.startAddress.raw))!, byteCount: 4096)
            _ = try! memory.space.replaceLeafFrame(page, with: own, flags: translation.flags)
            machine.freeUserFrame(translation.frame)
        }
    }

    /// The first broken rule, or nil: the process memory's and the page tables' checkers, and the
    /// recorded calls all carry six arguments.
    func checkInvariants() -> String? {
        if let violation = memory.checkInvariants(zeroFrame: machine.sharedZeroFrame, ledger: memory.tableFrames) {
            return "\(violation)"
        }
        if machine.userFrames != memory.pagesMapped { return "user frames \(machine.userFrames) != pages mapped" }
        if calls.contains(where: { $0.arguments.count != 6 }) { return "call without six arguments" }
        return nil
    }

    /// True when exactly the pages of `ranges` (address, bytes) are mapped.
    func mappedPagesAre(_ ranges: [(UInt64, Int)]) -> Bool {
        var expected: Set<UInt64> = []
        for (address, bytes) in ranges {
            for page in 0 ..< bytes / 4096 { expected.insert(address + UInt64(page) * 4096) }
        }
        var actual: Set<UInt64> = []
        var page = UserSpace.mapAreaStart.raw
        while page < memory.mapNext.raw {
            if memory.space.translate(VirtualAddress(page)) != nil { actual.insert(page) }
            page += 4096
        }
        return expected == actual && actual.count == memory.pagesMapped
    }
}

/// The kernel the stub talks to; replaced by each test (the suite is serialized).
nonisolated(unsafe) var fakeKernel = FakeKernel()

@_cdecl("swiftmm_syscall6")
func fakeSyscall6(_ number: UInt64, _ a1: UInt64, _ a2: UInt64, _ a3: UInt64, _ a4: UInt64, _ a5: UInt64, _ a6: UInt64) -> Int64 {
    fakeKernel.handle(number, [a1, a2, a3, a4, a5, a6])
}

/// Every test that talks to the fake kernel is nested in this suite: `.serialized` applies to
/// nested suites too, so no two tests share `fakeKernel` at the same time.
@Suite("User runtime over the fake kernel", .serialized)
enum FakeKernelSuite {}

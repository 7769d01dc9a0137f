// A fake SwiftMM kernel for host tests: `swiftmm_syscall6` (the asm stub's C name) implemented in
// Swift over a 256 MiB host reservation that stands in for user space. It records every call and
// implements map/unmap/write/memstat with the ABI's rules, so the runtime's wrappers and
// SyscallPageSource run their real code against it.
//
// Model: page i of the arena is mapped iff `mapped[i]`; map places first fit (or at a free
// hint), zero-fills, and never relocates a hint; unmap requires every page mapped (else EINVAL).
// Invariant: mappedPageCount == mapped.filter { $0 }.count.
#if canImport(Glibc)
import Glibc
#endif
import Testing

struct RecordedCall: Equatable {
    var number: UInt64
    var arguments: [UInt64]
}

final class FakeKernel: @unchecked Sendable {
    static let arenaBytes = 256 << 20
    static let pageBytes = 4096

    let arena: UnsafeMutableRawPointer
    var mapped: [Bool]
    private(set) var mappedPageCount = 0
    var calls: [RecordedCall] = []
    /// When set, the next map answers -errno (then clears itself).
    var failNextMap: Int64? = nil
    /// When set, every unmap answers this -errno (a kernel that breaks the ABI).
    var failUnmaps: Int64? = nil
    /// A result forced for the next call of any number (then cleared).
    var forcedResult: Int64? = nil
    /// memstat fills the record with 1, 2, ... 8.
    var written: [UInt8] = []

    init() {
        let raw = mmap(nil, Self.arenaBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)!
        precondition(raw != MAP_FAILED)
        arena = raw
        mapped = Array(repeating: false, count: Self.arenaBytes / Self.pageBytes)
    }

    deinit { munmap(arena, Self.arenaBytes) }

    var base: UInt64 { UInt64(UInt(bitPattern: arena)) }

    func handle(_ number: UInt64, _ a: [UInt64]) -> Int64 {
        calls.append(RecordedCall(number: number, arguments: a))
        if let forced = forcedResult {
            forcedResult = nil
            return forced
        }
        switch number {
        case 1: return write(a[0], a[1])
        case 2: return map(hint: a[0], length: a[1], protection: a[2])
        case 3: return unmap(a[0], a[1])
        case 5: return memstat(a[0])
        default: return -38
        }
    }

    private func pageRange(_ address: UInt64, _ length: UInt64) -> Range<Int>? {
        guard length > 0, address % 4096 == 0, address >= base else { return nil }
        let (end, overflow) = address.addingReportingOverflow((length + 4095) & ~4095)
        guard !overflow, length <= UInt64.max - 4095, end <= base + UInt64(Self.arenaBytes) else { return nil }
        return Int((address - base) / 4096) ..< Int((end - base) / 4096)
    }

    private func write(_ buffer: UInt64, _ length: UInt64) -> Int64 {
        guard length <= 4096 else { return -22 }
        let bytes = UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(buffer)), count: Int(length))
        written.append(contentsOf: bytes)
        return Int64(length)
    }

    private func map(hint: UInt64, length: UInt64, protection: UInt64) -> Int64 {
        if let error = failNextMap {
            failNextMap = nil
            return error
        }
        guard protection & ~7 == 0, protection & 6 != 6, length > 0, length <= UInt64.max - 4095 else { return -22 }
        let pages = Int((length + 4095) / 4096)
        let start: Int
        if hint != 0 {
            guard let range = pageRange(hint, length) else { return -17 }
            guard !mapped[range].contains(true) else { return -17 }
            start = range.lowerBound
        } else {
            guard let found = firstFit(pages) else { return -12 }
            start = found
        }
        for page in start ..< start + pages { mapped[page] = true }
        mappedPageCount += pages
        let address = arena + start * 4096
        address.initializeMemory(as: UInt8.self, repeating: 0, count: pages * 4096)
        return Int64(base + UInt64(start * 4096))
    }

    private func firstFit(_ pages: Int) -> Int? {
        var run = 0
        for index in mapped.indices {
            run = mapped[index] ? 0 : run + 1
            if run == pages { return index - pages + 1 }
        }
        return nil
    }

    private func unmap(_ address: UInt64, _ length: UInt64) -> Int64 {
        if let error = failUnmaps { return error }
        guard let range = pageRange(address, length), !mapped[range].contains(false) else { return -22 }
        for page in range { mapped[page] = false }
        mappedPageCount -= range.count
        // Poison: a use after unmap would read this, not the old bytes.
        (arena + range.lowerBound * 4096).initializeMemory(as: UInt8.self, repeating: 0xDB, count: range.count * 4096)
        return 0
    }

    private func memstat(_ out: UInt64) -> Int64 {
        guard let pointer = UnsafeMutablePointer<UInt64>(bitPattern: UInt(out)) else { return -14 }
        for index in 0..<8 { pointer[index] = UInt64(index + 1) }
        return 0
    }

    /// The first broken rule of the model, or nil: the page count matches the map, and the
    /// recorded calls all carry six arguments.
    func checkInvariants() -> String? {
        if mappedPageCount != mapped.lazy.filter({ $0 }).count { return "mappedPageCount != mapped pages" }
        if calls.contains(where: { $0.arguments.count != 6 }) { return "call without six arguments" }
        return nil
    }

    /// True when exactly the pages of `ranges` (address, bytes) are mapped.
    func mappedPagesAre(_ ranges: [(UInt64, Int)]) -> Bool {
        var expected = Array(repeating: false, count: mapped.count)
        for (address, bytes) in ranges {
            let first = Int((address - base) / 4096)
            for page in first ..< first + bytes / 4096 { expected[page] = true }
        }
        return expected == mapped
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

import MemoryCore
import PageTables
import Testing
import TestSupport
@testable import ProgramLoader

// Seeded fuzzing: random mutations of valid files (bit flips, program header and file header
// fields set to boundary values or to each other's values, truncation). The parser must never
// trap, must accept exactly the files the reference model accepts, and every plan it returns
// must satisfy checkInvariants() and the safety properties checked directly.
@Suite struct FuzzTests {
    /// Boundary values for 64-bit fields.
    static let interesting: [UInt64] = [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 16, 0xFFF, 0x1000, 0x1001, 0x2000, 0x4000, 0x20_0000, 1 << 63,
        UInt64.max, UInt64.max - 0xFFF, UInt64.max - 55, UserSpace.start.raw, UserSpace.start.raw - 1,
        UserSpace.end.raw, UserSpace.end.raw - 1, UserSpace.end.raw - 0x1000, 0x0000_8000_0000_0000,
        TestElf.base, TestElf.base + 0x1000, TestElf.base + 0x2000, TestElf.base + 0x3000, 0x6474_E551,
    ]
    /// (offset in an Elf64_Phdr, width) of p_type, p_flags, p_offset, p_vaddr, p_filesz, p_memsz, p_align.
    static let programHeaderFields: [(Int, Int)] = [(0, 4), (4, 4), (8, 8), (16, 8), (32, 8), (40, 8), (48, 8)]
    /// (offset, width) of e_type, e_machine, e_version, e_entry, e_phoff, e_ehsize, e_phentsize, e_phnum.
    static let headerFields: [(Int, Int)] = [(16, 2), (18, 2), (20, 4), (24, 8), (32, 8), (52, 2), (54, 2), (56, 2)]

    struct Stats {
        var accepted = 0
        var rejections: [String: Int] = [:]
    }

    /// A random layout a linker could produce: 1-16 segments in address order with page gaps,
    /// the first one R+X (holding the entry), the others R, R+W or R+X, some with .bss.
    static func randomValidElf(_ rng: inout SeededGenerator) -> TestElf {
        var elf = TestElf()
        elf.programHeaders = []
        var vaddr = TestElf.base + UInt64.random(in: 0 ... 64, using: &rng) * 0x1000
        var fileEnd: UInt64 = 0x1000
        for i in 0 ..< Int.random(in: 1 ... 16, using: &rng) {
            let inPage = UInt64.random(in: 0 ..< 0x1000, using: &rng) & ~7
            let filesz = UInt64.random(in: 0 ... 0x1800, using: &rng)
            let memsz = max(filesz + (Bool.random(using: &rng) ? UInt64.random(in: 0 ... 0x3000, using: &rng) : 0), 1)
            let flags: UInt32 = i == 0 ? 5 : [4, 6, 5].randomElement(using: &rng)!
            let offset = alignUp(fileEnd, to: 0x1000)! + inPage
            elf.programHeaders.append(
                .loadSegment(flags: flags, offset: offset, vaddr: vaddr + inPage, filesz: filesz, memsz: memsz))
            fileEnd = offset + filesz
            vaddr = alignUp(vaddr + inPage + memsz, to: 0x1000)! + UInt64.random(in: 0 ... 3, using: &rng) * 0x1000
        }
        elf.programHeaders.insert(
            TestProgramHeader(type: TestProgramHeader.gnuStack, flags: 6, align: 16),
            at: Int.random(in: 0 ... elf.programHeaders.count, using: &rng))
        let text = elf.programHeaders.first { $0.type == 1 }!
        elf.entry = text.vaddr + UInt64.random(in: 0 ..< text.memsz, using: &rng)
        elf.fileSize = Int(max(fileEnd, 64 + 56 * UInt64(elf.programHeaders.count)))
        return elf
    }

    /// Applies one random mutation to `bytes`, recording every changed index in `touched`.
    static func mutate(_ bytes: inout [UInt8], touched: inout [Int], phnum: Int, _ rng: inout SeededGenerator) {
        func write(_ value: UInt64, at offset: Int, width: Int) {
            for i in 0 ..< width where offset + i < bytes.count {
                touched.append(offset + i)
                bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))
            }
        }
        func read(_ offset: Int, width: Int) -> UInt64 {
            (0 ..< width).reversed().reduce(0) { $0 << 8 | UInt64(offset + $1 < bytes.count ? bytes[offset + $1] : 0) }
        }
        let tableEnd = min(bytes.count, 64 + 56 * max(phnum, 1))
        func fieldValue() -> UInt64 {
            Bool.random(using: &rng)
                ? interesting.randomElement(using: &rng)! &+ UInt64.random(in: 0 ... 2, using: &rng) &- 1
                : UInt64.random(in: 0 ... UInt64.max, using: &rng)
        }
        switch Int.random(in: 0 ..< 6, using: &rng) {
        case 0:  // flip a bit in the header or the program header table
            let at = Int.random(in: 0 ..< tableEnd, using: &rng)
            write(UInt64(bytes[at] ^ (1 << UInt8.random(in: 0 ..< 8, using: &rng))), at: at, width: 1)
        case 1:  // flip a bit anywhere
            let at = Int.random(in: 0 ..< bytes.count, using: &rng)
            write(UInt64(bytes[at] ^ (1 << UInt8.random(in: 0 ..< 8, using: &rng))), at: at, width: 1)
        case 2:  // a program header field set to a boundary or random value
            let (field, width) = programHeaderFields.randomElement(using: &rng)!
            write(fieldValue(), at: 64 + 56 * Int.random(in: 0 ..< max(phnum, 1), using: &rng) + field, width: width)
        case 3:  // a program header field set to another one's value, nudged (overlaps, edge cases)
            let (field, width) = programHeaderFields.randomElement(using: &rng)!
            let from = read(64 + 56 * Int.random(in: 0 ..< max(phnum, 1), using: &rng) + field, width: width)
            let nudge = ([0, 1, 0xFFF, 0x1000, 0x1001] as [UInt64]).randomElement(using: &rng)!
            let value = Bool.random(using: &rng) ? from &+ nudge : from &- nudge
            write(value, at: 64 + 56 * Int.random(in: 0 ..< max(phnum, 1), using: &rng) + field, width: width)
        case 4:  // a file header field
            let (field, width) = headerFields.randomElement(using: &rng)!
            let value =
                field == 24 && Bool.random(using: &rng)
                ? read(64 + 56 * Int.random(in: 0 ..< max(phnum, 1), using: &rng) + 16, width: 8)
                    &+ UInt64.random(in: 0 ... 0x2000, using: &rng)
                : fieldValue()
            write(value, at: field, width: width)
        default:  // a program header's type swapped for another PT value
            let type = UInt64([0, 1, 2, 3, 4, 6, 7, 0x6474_E551, 0x6474_E552].randomElement(using: &rng)!)
            write(type, at: 64 + 56 * Int.random(in: 0 ..< max(phnum, 1), using: &rng), width: 4)
        }
    }

    /// Parses `bytes[0 ..< length]` and checks it against the reference model and the invariants.
    static func check(_ bytes: [UInt8], length: Int, seed: UInt64, iteration: Int, stats: inout Stats) {
        let result = parse(bytes, prefix: length)
        let reference = referenceLoad(bytes[0 ..< length])
        switch (result, reference) {
        case (.success(let plan), .some(let expected)):
            stats.accepted += 1
            #expect(plan.checkInvariants() == nil, "seed \(seed) iteration \(iteration)")
            #expect(planSafetyFailure(plan, fileCount: length) == nil, "seed \(seed) iteration \(iteration)")
            #expect(
                plan.entry.raw == expected.entry && plan.segments.map(ReferenceSegment.init) == expected.segments,
                "seed \(seed) iteration \(iteration)")
        case (.failure(let error), nil):
            stats.rejections[error.name.description, default: 0] += 1
        case (.success, nil):
            Issue.record("accepted a file the reference rejects: seed \(seed) iteration \(iteration)")
        case (.failure(let error), .some):
            Issue.record("rejected (\(error.name)) a file the reference accepts: seed \(seed) iteration \(iteration)")
        }
    }

    /// 50 000 mutated files: every 500 a fresh random valid layout (checked unmutated first),
    /// then 1-3 mutations each, undone afterwards.
    @Test func mutatedFilesNeverTrapAndAcceptedPlansAreSafe() {
        let seed: UInt64 = 0x5EED_E1F0
        var rng = SeededGenerator(seed: seed)
        var stats = Stats()
        var bytes: [UInt8] = [], original: [UInt8] = [], phnum = 0
        var touched: [Int] = []
        for iteration in 0 ..< 50_000 {
            if iteration % 500 == 0 {
                let elf = iteration == 0 ? TestElf.threeSegments() : Self.randomValidElf(&rng)
                original = elf.bytes()
                bytes = original
                phnum = elf.programHeaders.count
                #expect(referenceLoad(bytes[...]) != nil)
                Self.check(bytes, length: bytes.count, seed: seed, iteration: iteration, stats: &stats)
            }
            for _ in 0 ..< Int.random(in: 1 ... 3, using: &rng) {
                Self.mutate(&bytes, touched: &touched, phnum: phnum, &rng)
            }
            let length = Int.random(in: 0 ..< 16, using: &rng) == 0 ? Int.random(in: 0 ... bytes.count, using: &rng) : bytes.count
            Self.check(bytes, length: length, seed: seed, iteration: iteration, stats: &stats)
            for index in touched { bytes[index] = original[index] }
            touched.removeAll(keepingCapacity: true)
        }
        // The fuzzer must reach both sides: many accepted plans and most of the rejection reasons.
        #expect(stats.accepted >= 5_000, "accepted \(stats.accepted)")
        #expect(stats.rejections.count >= 29, "reasons seen: \(stats.rejections.keys.sorted())")
    }

    /// Random valid layouts are all accepted, each with exactly the reference's segments.
    @Test func randomValidLayoutsAreAccepted() {
        let seed: UInt64 = 0xE1F_1A10
        var rng = SeededGenerator(seed: seed)
        var stats = Stats()
        for iteration in 0 ..< 2_000 {
            let bytes = Self.randomValidElf(&rng).bytes()
            Self.check(bytes, length: bytes.count, seed: seed, iteration: iteration, stats: &stats)
        }
        #expect(stats.accepted == 2_000 && stats.rejections.isEmpty, "\(stats.rejections)")
    }
}

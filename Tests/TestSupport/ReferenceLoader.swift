import MemoryCore
import PageTables
import ProgramLoader

// (Shared by ProgramLoaderTests and the elf fuzz target in Tests/Fuzz.)
// An independent reference model of the loader's accept/reject decision, written the plain way
// (arrays, 128-bit sums instead of overflow reporting, checks gathered rather than ordered). The
// fuzz tests require the real parser to accept exactly the files this accepts, with the same
// segments.

/// A segment as the reference model sees it: the raw program header fields.
public struct ReferenceSegment: Equatable {
    public var index: Int
    public var flags: UInt32
    public var offset: UInt64
    public var vaddr: UInt64
    public var filesz: UInt64
    public var memsz: UInt64

    public init(index: Int, flags: UInt32, offset: UInt64, vaddr: UInt64, filesz: UInt64, memsz: UInt64) {
        (self.index, self.flags, self.offset, self.vaddr, self.filesz, self.memsz) = (index, flags, offset, vaddr, filesz, memsz)
    }

    public init(_ s: LoadSegment) {
        self.init(
            index: s.programHeaderIndex, flags: s.permissions.rawValue, offset: s.fileOffset,
            vaddr: s.virtualAddress.raw, filesz: s.fileByteCount, memsz: s.memoryByteCount)
    }

    public var firstPage: UInt128 { UInt128(vaddr) / 4096 }
    public var endPage: UInt128 { (UInt128(vaddr) + UInt128(memsz) + 4095) / 4096 }
}

/// The entry point and segments (sorted by address) when the file is loadable, nil otherwise.
public func referenceLoad(
    _ b: ArraySlice<UInt8>, userStart: UInt64 = UserSpace.start.raw,
    userEnd: UInt64 = UserSpace.end.raw
) -> (entry: UInt64, segments: [ReferenceSegment])? {
    let b = Array(b)
    func le(_ at: UInt128, _ width: Int) -> UInt64? {
        guard at + UInt128(width) <= UInt128(b.count) else { return nil }
        var v: UInt64 = 0
        for i in (0 ..< width).reversed() { v = v << 8 | UInt64(b[Int(at) + i]) }
        return v
    }
    guard b.count >= 64, Array(b[0 ..< 4]) == [0x7F, 0x45, 0x4C, 0x46], b[4] == 2, b[5] == 1, b[6] == 1,
        b[7] == 0 || b[7] == 3, le(16, 2) == 2, le(18, 2) == 62, le(20, 4) == 1, le(52, 2) == 64,
        le(54, 2) == 56, let phnum = le(56, 2), phnum != 0xFFFF, let phoff = le(32, 8), let entry = le(24, 8),
        UInt128(phoff) + UInt128(phnum) * 56 <= UInt128(b.count)
    else { return nil }
    var segments: [ReferenceSegment] = []
    for i in 0 ..< Int(phnum) {
        let at = UInt128(phoff) + UInt128(i) * 56
        let type = le(at, 4)!, flags = UInt32(le(at + 4, 4)!), offset = le(at + 8, 8)!, vaddr = le(at + 16, 8)!
        let filesz = le(at + 32, 8)!, memsz = le(at + 40, 8)!, align = le(at + 48, 8)!
        if type == 2 || type == 3 { return nil }
        if type == 0x6474_E551 && flags & 1 != 0 { return nil }
        guard type == 1, memsz != 0 || filesz != 0 else { continue }
        let modulus = UInt128(max(align, 4096))
        guard flags & ~7 == 0, flags & 4 != 0, flags & 3 != 3, filesz <= memsz,
            UInt128(offset) + UInt128(filesz) <= UInt128(b.count),
            align <= 1 || align.nonzeroBitCount == 1,
            UInt128(vaddr) % modulus == UInt128(offset) % modulus,
            vaddr >= userStart, UInt128(vaddr) + UInt128(memsz) <= UInt128(userEnd)
        else { return nil }
        segments.append(ReferenceSegment(index: i, flags: flags, offset: offset, vaddr: vaddr, filesz: filesz, memsz: memsz))
    }
    guard !segments.isEmpty, segments.count <= 16 else { return nil }
    for (i, s) in segments.enumerated() {
        for t in segments[(i + 1)...] where s.firstPage < t.endPage && t.firstPage < s.endPage { return nil }
    }
    guard
        segments.contains(where: {
            $0.flags & 1 != 0 && $0.vaddr <= entry && UInt128(entry) < UInt128($0.vaddr) + UInt128($0.memsz)
        })
    else { return nil }
    return (entry, segments.sorted { $0.vaddr < $1.vaddr })
}

/// The plan's safety properties checked directly (not through checkInvariants): every page in
/// the user range, no two segments sharing a page, every copy inside the file, bss inside the
/// pages, no W+X, entry in an executable segment. Returns a description of the first failure.
public func planSafetyFailure(_ plan: LoadPlan, fileCount: Int) -> String? {
    let segments = Array(plan.segments)
    if segments.isEmpty { return "no segments" }
    var pageTotal: UInt64 = 0
    for (i, s) in segments.enumerated() {
        let pages = s.pages
        if !(plan.userRange.start <= pages.start && pages.end <= plan.userRange.end && pages.start < pages.end) {
            return "segment \(i) pages outside user range"
        }
        if pages.start.raw % 4096 != 0 || pages.end.raw % 4096 != 0 { return "segment \(i) pages unaligned" }
        if UInt128(s.fileOffset) + UInt128(s.fileByteCount) > UInt128(fileCount) { return "segment \(i) copy outside file" }
        if s.virtualAddress < pages.start || UInt128(s.virtualAddress.raw) + UInt128(s.memoryByteCount) > UInt128(pages.end.raw) {
            return "segment \(i) bytes outside its pages"
        }
        if s.fileByteCount > s.memoryByteCount { return "segment \(i) filesz > memsz" }
        if s.pageFlags.contains(.writable) && !s.pageFlags.contains(.noExecute) { return "segment \(i) W+X" }
        if !s.pageFlags.isSuperset(of: [.present, .user]) { return "segment \(i) not present user" }
        for t in segments[(i + 1)...] where pages.overlaps(t.pages) { return "segment \(i) overlaps another" }
        pageTotal += pages.pageCount
    }
    if pageTotal != plan.totalPageCount { return "page total" }
    if plan.imageEnd != segments.map(\.pages.end).max() { return "image end" }
    guard let home = segments.first(where: { $0.containsByte(plan.entry) }),
        !home.pageFlags.contains(.noExecute)
    else { return "entry not in an executable segment" }
    return nil
}

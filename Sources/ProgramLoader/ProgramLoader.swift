// ProgramLoader: validates an ELF64 user program and plans how to load it. Pure: it reads the
// file's bytes and returns typed values; it never maps, allocates or copies (the kernel does).
//
// Glossary: a *program header* is one 56-byte entry of the file's program header table; a
// *segment* is a PT_LOAD program header with memsz > 0; a *page* is a virtual 4 KiB unit; the
// *user range* is the page-aligned virtual range the program may occupy (`UserSpace` by default).
//
// Algorithm (decode -> validate -> plan; the first failed check names the rejection):
//   1. The file header (64 bytes): identity, type, machine, sizes, and the program header table
//      inside the file (ElfHeader.swift, checks in the order listed in ElfError).
//   2. Every program header in table order (ProgramHeaderAdmission.swift): PT_INTERP and
//      PT_DYNAMIC are rejected (static executables only), PT_GNU_STACK must not ask for an
//      executable stack, PT_LOAD is validated on its own (SegmentValidation.swift) and then
//      against the segments already admitted (capacity, overlap), every other type is ignored.
//   3. The whole image: at least one segment, and the entry point inside an executable one.
//
// Policies (each one a choice, written down here once):
//   - Static ET_EXEC only: ET_DYN (PIE or shared object), ET_REL and ET_CORE are named rejections.
//   - OS ABI 0 (System V) or 3 (GNU/Linux: GNU ld sets it in static executables that use IFUNCs);
//     both mean the same to a loader. The ABI version byte and the padding are not inspected.
//   - W^X: a segment that is both writable and executable is rejected, never mapped.
//   - Segments may not share a page: linkers (ld.lld, GNU ld -z separate-code) page-align them.
//     Merging with the union of rights would silently widen a page's rights (often into W+X).
//   - A PT_LOAD with memsz == 0 and filesz == 0 describes nothing: skipped and counted
//     (`LoadPlan.skippedEmptySegmentCount`), none of its other fields are checked.
//   - Segment flags must be a subset of R|W|X and include R (x86 paging cannot map a page that is
//     writable or executable but not readable; mapping it readable would grant more than asked).
//   - Section headers are never read: a loader needs only program headers.
//   - At most `LoadPlan.segmentCapacity` (16) segments: the plan lives in inline storage.
//
// Invariants of every plan this module returns (LoadPlan.checkInvariants lists the same ones):
//   1 <= segmentCount <= segmentCapacity
//   for each segment s:
//     s.memoryByteCount > 0,   s.fileByteCount <= s.memoryByteCount
//     s.pages = [alignDown(s.virtualAddress, 4 KiB), alignUp(s.virtualAddress + s.memoryByteCount, 4 KiB))
//     userRange.start <= s.pages.start < s.pages.end <= userRange.end
//     s.fileOffset + s.fileByteCount <= fileByteCount                       (no wrap)
//     s.virtualAddress ≡ s.fileOffset  (mod 4 KiB)
//     leadingZeroByteCount + fileByteCount + trailingZeroByteCount = s.pages.byteCount
//     s.pageFlags = present | user | (writable iff W) | (noExecute iff not X),   not (W and X)
//   segments sorted and disjoint at page granularity: s[i].pages.end <= s[i+1].pages.start
//   entry ∈ [s.virtualAddress, s.virtualAddress + s.memoryByteCount) of some segment s with X
//   imageEnd = max(s.pages.end),   totalPageCount = Σ s.pages.pageCount

import MemoryCore
import PageTables

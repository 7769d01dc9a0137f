// Fuzz target `userheap`: operation sequences on the user-space malloc (UserHeap) over
// TestSupport's FakePageSource, checked after every step.
//
// Input (through FuzzInputGenerator): a page budget for the source, then operations: malloc
// (small, medium, large sizes), calloc, realloc, posix_memalign (valid and invalid alignments),
// free of a live block, hostile frees (double, interior, foreign), malloc_usable_size, trim.
// The model is the set of live blocks with their requested sizes, usable sizes and byte patterns.
// After every step: checkInvariants() == nil, liveBytes equals the model's, no error was reported
// except by a hostile step (which must report exactly one and change nothing); every block is
// aligned, big enough, disjoint from the others, keeps its pattern until freed (realloc keeps the
// prefix; calloc is zeroed). At the end everything is freed and trimmed: every page goes back to
// the source and the source saw no misuse.
import MemoryCore
import TestSupport
import UserMalloc

final class ReportedErrors {
    var errors: [HeapError] = []
}

struct LiveBlock {
    var pointer: UnsafeMutableRawPointer
    var byteCount: Int
    var usable: Int
    var pattern: UInt8
}

struct UserHeapSession {
    var input: FuzzInputGenerator
    let source: FakePageSource
    let reported = ReportedErrors()
    var heap: UserHeap<FakePageSource>
    var live: [LiveBlock] = []
    var freed: [UnsafeMutableRawPointer] = []
    var serial: UInt8 = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        input = FuzzInputGenerator(bytes)
        source = FakePageSource(bufferBytes: 64 << 20)
        source.byteLimit = (1 + input.below(256)) * 64 * 1024
        let sink = reported
        heap = UserHeap(source: source, secret: 0x5EC2_E7F0_22ED_0001) { sink.errors.append($0) }
    }

    mutating func randomSize() -> Int {
        switch input.below(8) {
        case 0 ..< 4: return input.below(257)
        case 4, 5: return input.below(4097)
        case 6: return 4097 + input.below(128 * 1024)
        default: return 128 * 1024 + input.below(300 * 1024)
        }
    }

    mutating func step() {
        switch input.below(20) {
        case 0 ..< 6:
            let size = randomSize()
            adopt(heap.allocate(byteCount: size), byteCount: size, alignment: 16, zeroed: false)
        case 6:
            let count = input.below(9), size = randomSize() / max(count, 1)
            adopt(heap.allocateZeroed(count: count, byteCount: size), byteCount: count * size, alignment: 16, zeroed: true)
        case 7, 8: reallocate()
        case 9: alignedAllocate()
        case 10 ..< 16: freeLive()
        case 16, 17: hostileFree()
        case 18:
            guard !live.isEmpty else { return }
            let block = live[input.below(live.count)]
            fuzzRequire(heap.usableByteCount(of: block.pointer) == block.usable, "usable size changed")
        default: heap.trim()
        }
    }

    /// Records a new block of `size` requested bytes and paints all its usable bytes. A failure
    /// is allowed only when the source is within the request plus 1 MiB (span, region and
    /// directory overhead) of its budget.
    mutating func adopt(_ pointer: UnsafeMutableRawPointer?, byteCount size: Int, alignment: Int, zeroed: Bool) {
        guard let pointer else {
            fuzzRequire(
                source.byteLimit - source.mappedBytes < size + (1 << 20),
                "allocation of \(size) failed with \(source.byteLimit - source.mappedBytes) bytes left at the source")
            return
        }
        let usable = heap.usableByteCount(of: pointer)
        let address = UInt(bitPattern: pointer)
        fuzzRequire(
            address % UInt(alignment) == 0 && usable >= size,
            "block \(address): usable \(usable), asked \(size), alignment \(alignment)")
        if zeroed { fuzzRequire(holds(pointer, size, 0), "calloc block not zeroed") }
        for other in live {
            let start = UInt(bitPattern: other.pointer)
            fuzzRequire(
                address + UInt(max(usable, 1)) <= start || start + UInt(max(other.usable, 1)) <= address,
                "block \(address) overlaps live block \(start)")
        }
        serial = serial == 255 ? 1 : serial + 1
        fill(pointer, usable, with: serial)
        live.append(LiveBlock(pointer: pointer, byteCount: usable, usable: usable, pattern: serial))
    }

    mutating func reallocate() {
        guard !live.isEmpty else { return }
        let index = input.below(live.count)
        let block = live[index]
        let size = randomSize()
        fuzzRequire(holds(block.pointer, block.byteCount, block.pattern), "block overwritten before realloc")
        // realloc(p, 0) frees p and returns nil; any other nil leaves the old block live.
        guard let moved = heap.reallocate(block.pointer, byteCount: size) else {
            if size == 0 { live.remove(at: index) }
            return
        }
        live.remove(at: index)
        fuzzRequire(holds(moved, min(size, block.byteCount), block.pattern), "realloc lost the block's bytes")
        adopt(moved, byteCount: size, alignment: 16, zeroed: false)
    }

    mutating func alignedAllocate() {
        let shift = input.below(18)
        let alignment = shift < 16 ? 1 << shift : [0, 24][shift - 16]
        let size = randomSize()
        do throws(MallocErrno) {
            let pointer = try heap.allocateAligned(byteCount: size, alignment: alignment)
            fuzzRequire(alignment >= 8 && alignment & (alignment - 1) == 0, "alignment \(alignment) accepted")
            adopt(pointer, byteCount: size, alignment: alignment, zeroed: false)
        } catch {
            let valid = alignment >= 8 && alignment & (alignment - 1) == 0
            fuzzRequire(error == (valid ? .outOfMemory : .invalidArgument), "posix_memalign \(size)/\(alignment): \(error)")
        }
    }

    mutating func freeLive() {
        guard !live.isEmpty else { return }
        let block = live.remove(at: input.below(live.count))
        fuzzRequire(holds(block.pointer, block.byteCount, block.pattern), "block \(block.pointer) overwritten while live")
        heap.free(block.pointer)
        freed.append(block.pointer)
        if freed.count > 16 { freed.removeFirst() }
    }

    mutating func hostileFree() {
        let pointer: UnsafeMutableRawPointer
        switch input.below(3) {
        case 0:
            guard !freed.isEmpty else { return }
            pointer = freed[input.below(freed.count)]
        case 1:
            guard !live.isEmpty else { return }
            let block = live[input.below(live.count)]
            pointer = block.pointer + 1 + input.below(max(block.usable - 1, 1))
        default:
            pointer = UnsafeMutableRawPointer(bitPattern: source.bufferBase + 16 * UInt(input.below(1 << 20)))!
        }
        if live.contains(where: { $0.pointer == pointer }) { return }  // a valid free, not a hostile one
        let before = heap.statistics.liveBytes
        heap.free(pointer)
        fuzzRequire(reported.errors.count == 1, "hostile free of \(pointer) reported \(reported.errors)")
        fuzzRequire(heap.statistics.liveBytes == before, "hostile free changed the live bytes")
        reported.errors.removeAll()
    }

    func check() {
        fuzzRequire(reported.errors.isEmpty, "error reported: \(reported.errors)")
        fuzzRequire(heap.checkInvariants() == nil, "invariant: \(String(describing: heap.checkInvariants()))")
        fuzzRequire(
            heap.statistics.liveBytes == live.reduce(0) { $0 + $1.usable },
            "live bytes \(heap.statistics.liveBytes) != \(live.map(\.usable))")
        fuzzRequire(source.misuse.isEmpty, "page source misuse: \(source.misuse)")
    }

    mutating func finish() {
        for block in live {
            fuzzRequire(holds(block.pointer, block.byteCount, block.pattern), "block overwritten")
            heap.free(block.pointer)
        }
        live = []
        heap.trim()
        check()
        fuzzRequire(source.mappings.isEmpty && heap.statistics.heldBytes == 0, "pages kept after trim: \(source.mappedBytes)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzUserHeap(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var session = UserHeapSession(fuzzInput(data, size))
    var steps = 0
    while !session.input.isExhausted && steps < 4096 {
        session.step()
        session.check()
        steps += 1
    }
    session.finish()
    return 0
}

// Fuzz target `buddy`: operation sequences on the kernel's BuddyHeap over TestSupport's
// RecordingArenaSource, checked after every step.
//
// Input (through FuzzInputGenerator): the configuration (arena 1-8 KiB, cache limit and depth,
// retained arenas, trailer on or off), then operations: allocate (small, medium, up to the largest
// block and large; alignments 1 ... largest block, some invalid), free of a live block, invalid
// frees (interior or misaligned pointer, double free, foreign pointer), coalesce, trim.
// The model is the set of live blocks with their sizes and byte patterns. After every step:
// checkInvariants() == nil, live count and bytes equal the model's, a refused free changes
// nothing but `invalidFrees`; every block is aligned, big enough, disjoint from every other live
// block and keeps its pattern until it is freed. At the end everything is freed and trimmed: every
// arena and large region is back at the source, none released twice or with a wrong size.
import BuddyHeap
import MemoryCore
import TestSupport

struct LiveBlock {
    var pointer: UnsafeMutableRawPointer
    var byteCount: Int
    /// The usable bytes blockByteCount reports.
    var granted: Int
    /// The bytes the heap accounts for it: with a trailer, a block's 8 trailer bytes too.
    var accounted: Int
    var pattern: UInt8
}

struct BuddySession {
    var input: FuzzInputGenerator
    var heap: BuddyHeap<RecordingArenaSource>
    var live: [LiveBlock] = []
    var freed: [UnsafeMutableRawPointer] = []
    var serial: UInt8 = 0
    let regionLimit = 48

    init(_ bytes: UnsafeRawBufferPointer) {
        input = FuzzInputGenerator(bytes)
        let arenaShift = 10 + input.below(4)
        let limit = input.below(4)
        let configuration = HeapConfiguration(
            arenaShift: arenaShift, cachedOrderLimit: limit == 3 ? nil : BlockOrder(limit),
            cacheCapacityPerOrder: input.below(4), retainedEmptyArenas: input.below(3),
            trailer: input.nextByte() & 1 == 0 ? .none : .requestedSizeAndRedZone)
        do throws(HeapConfigurationError) {
            heap = try BuddyHeap(source: RecordingArenaSource(), configuration: configuration)
        } catch {
            fuzzRequire(false, "configuration refused: \(error)")
            fatalError()
        }
        heap.source.ledger.regionLimit = regionLimit
    }

    mutating func step() {
        switch input.below(16) {
        case 0 ..< 7: allocate()
        case 7 ..< 12: freeLive()
        case 12, 13: invalidFree()
        case 14: heap.coalesce()
        default: heap.trim()
        }
    }

    mutating func allocate() {
        let largest = heap.largestBlockBytes
        let byteCount: Int
        switch input.below(8) {
        case 0 ..< 4: byteCount = input.below(129)
        case 4, 5: byteCount = input.below(largest + 1)
        case 6: byteCount = largest + 1 + input.below(3 * largest)
        default: byteCount = input.nextByte() == 0 ? -1 - input.below(4) : input.below(largest)
        }
        let shift = input.below(16)
        let alignment = shift < 12 ? 1 << shift : [0, 3, 24, largest * 2][shift - 12]
        let validAlignment = alignment > 0 && alignment & (alignment - 1) == 0 && alignment <= largest
        let before = heap.statistics
        do throws(AllocationError) {
            let pointer = try heap.allocateChecked(byteCount: byteCount, alignment: alignment)
            fuzzRequire(byteCount >= 0 && validAlignment, "accepted \(byteCount) bytes aligned to \(alignment)")
            let granted = heap.blockByteCount(of: pointer) ?? -1
            let address = UInt(bitPattern: pointer)
            let trailerBytes = heap.configuration.trailer == .none || heap.blockOrder(of: pointer) == nil ? 0 : 8
            let accounted = granted + trailerBytes
            fuzzRequire(
                address % UInt(alignment) == 0 && granted >= byteCount,
                "block \(address) of \(granted) for \(byteCount)/\(alignment)")
            for other in live {
                let start = UInt(bitPattern: other.pointer)
                fuzzRequire(
                    address + UInt(accounted) <= start || start + UInt(other.accounted) <= address,
                    "block \(address) overlaps live block \(start)")
            }
            serial = serial == 255 ? 1 : serial + 1
            let block = LiveBlock(pointer: pointer, byteCount: byteCount, granted: granted, accounted: accounted, pattern: serial)
            fill(pointer, byteCount, with: block.pattern)
            live.append(block)
        } catch {
            let expected: Bool
            switch error {
            case .negativeByteCount: expected = byteCount < 0
            case .invalidAlignment: expected = !validAlignment
            case .outOfMemory, .tooManyLargeAllocations:
                expected = heap.source.ledger.outstanding.count >= regionLimit - 1 || error == .tooManyLargeAllocations
            case .byteCountTooLarge: expected = false
            }
            fuzzRequire(expected, "allocate \(byteCount)/\(alignment) refused: \(error)")
            var after = heap.statistics
            after.failedAllocations = before.failedAllocations
            fuzzRequire(
                after.allocations == before.allocations && after.liveBlockBytes == before.liveBlockBytes,
                "a refused allocation changed the heap")
        }
    }

    mutating func freeLive() {
        guard !live.isEmpty else { return }
        let block = live.remove(at: input.below(live.count))
        fuzzRequire(holds(block.pointer, block.byteCount, block.pattern), "block \(block.pointer) was overwritten while live")
        do throws(HeapError) {
            try heap.free(block.pointer)
        } catch {
            fuzzRequire(false, "free of a live block refused: \(error)")
        }
        freed.append(block.pointer)
        if freed.count > 16 { freed.removeFirst() }
    }

    mutating func invalidFree() {
        var pointer: UnsafeMutableRawPointer
        switch input.below(3) {
        case 0:
            guard !live.isEmpty else { return }
            let block = live[input.below(live.count)]
            pointer = block.pointer + 1 + input.below(max(block.granted - 1, 1))
        case 1:
            guard !freed.isEmpty else { return }
            pointer = freed[input.below(freed.count)]
        default:
            pointer = UnsafeMutableRawPointer(bitPattern: 0x10_0000 + 16 * UInt(input.below(1 << 16)))!
        }
        // A pointer that is again the start of a live block is a valid free, not a hostile one.
        if live.contains(where: { $0.pointer == pointer }) { return }
        var before = heap.statistics
        do throws(HeapError) {
            try heap.free(pointer)
            fuzzRequire(false, "free of \(pointer) accepted: it starts no live block")
        } catch {
            before.invalidFrees += 1
            let after = heap.statistics
            fuzzRequire(
                after.invalidFrees == before.invalidFrees && after.frees == before.frees
                    && after.liveBlockBytes == before.liveBlockBytes && after.arenasHeld == before.arenasHeld,
                "refused free changed the heap")
        }
    }

    mutating func check() {
        fuzzRequire(heap.checkInvariants() == nil, "invariant: \(String(describing: heap.checkInvariants()))")
        let statistics = heap.statistics
        fuzzRequire(statistics.liveAllocations == live.count, "live count \(statistics.liveAllocations) != \(live.count)")
        fuzzRequire(
            statistics.liveBlockBytes + statistics.liveLargeBytes == live.reduce(0) { $0 + $1.accounted },
            "live bytes \(statistics.liveBlockBytes)+\(statistics.liveLargeBytes) != \(live.map { ($0.byteCount, $0.accounted) }) trailer \(heap.configuration.trailer)"
        )
    }

    mutating func finish() {
        for block in live {
            fuzzRequire(holds(block.pointer, block.byteCount, block.pattern), "block overwritten")
            do throws(HeapError) { try heap.free(block.pointer) } catch { fuzzRequire(false, "final free refused: \(error)") }
        }
        live = []
        heap.coalesce()
        heap.trim()
        check()
        let ledger = heap.source.ledger
        fuzzRequire(
            heap.statistics.arenasHeld == 0 && ledger.outstanding.isEmpty && ledger.badReleases == 0,
            "after trim: \(heap.statistics.arenasHeld) arenas held, \(ledger.outstanding.count) regions out, \(ledger.badReleases) bad releases"
        )
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBuddy(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var session = BuddySession(fuzzInput(data, size))
    defer { session.heap.source.ledger.releaseAll() }
    var steps = 0
    while !session.input.isExhausted && steps < 4096 {
        session.step()
        session.check()
        steps += 1
    }
    session.finish()
    return 0
}

// Fuzz target `frames`: operation sequences on a FrameAllocator, checked against TestSupport's
// FrameAllocatorModel after every step.
//
// Input (read through FuzzInputGenerator): the set-up, then one operation per byte group.
//   set-up: span start (the low 6 bits make spans that begin off a 64-frame word), span length
//           1 ... 1024 frames, up to 3 holes and up to 3 reservations inside the span;
//   operations: allocate(), allocate(count:alignment:), free of a live run, free of any
//           (start, count) near the span, allocate with an invalid alignment.
// After every step: checkInvariants() == nil, the free count, the frame states of the whole span
// and largestFreeRun() equal the model's; a refused operation changes no metadata byte.
import MemoryCore
import PhysicalMemory
import TestSupport

struct FrameSession {
    var input: FuzzInputGenerator
    let span: FrameRange
    let storage: UnsafeMutableRawPointer
    let byteCount: Int
    let allocator: FrameAllocator
    var model: FrameAllocatorModel

    /// Builds the allocator from the input's set-up bytes; nil when the set-up leaves no usable frame.
    init?(_ bytes: UnsafeRawBufferPointer) {
        input = FuzzInputGenerator(bytes)
        let start = UInt64(input.nextByte()) * 37 + 0x100
        let length = UInt64(input.below(1024)) + 1
        span = FrameRange(FrameNumber(start), FrameNumber(start + length))
        var cuts: [(FrameRange, Bool)] = []  // (range, isReservation)
        for _ in 0 ..< input.below(7) {
            let first = start + UInt64(input.below(Int(length)))
            let end = min(first + UInt64(input.below(64)) + 1, start + length)
            cuts.append((FrameRange(FrameNumber(first), FrameNumber(end)), input.nextByte() & 1 == 0))
        }
        // Usable = span minus holes (reservations stay usable RAM: the allocator marks them reserved).
        var usable = UsableFrameRanges()
        var usableList: [FrameRange] = []
        var cursor = start
        for (hole, _) in cuts.filter({ !$0.1 }).sorted(by: { $0.0.start < $1.0.start }) {
            if hole.start.raw > cursor { usableList.append(FrameRange(FrameNumber(cursor), hole.start)) }
            cursor = max(cursor, hole.end.raw)
        }
        if cursor < start + length { usableList.append(FrameRange(FrameNumber(cursor), FrameNumber(start + length))) }
        for range in usableList { _ = usable.append(range) }
        guard usable.count > 0 else { return nil }
        var reservations = ReservationList()
        var reservedList: [FrameRange] = []
        for (cut, isReservation) in cuts where isReservation {
            try? reservations.add(cut.physicalRange, reason: .bootModule)
            reservedList.append(cut)
        }
        let managed = usable.span
        byteCount = Int(FrameAllocator.metadataByteCount(managing: managed))
        storage = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 8)
        storage.initializeMemory(as: UInt8.self, repeating: 0xA5, count: byteCount)
        do throws(FrameAllocatorSetupError) {
            allocator = try FrameAllocator(
                span: managed, storage: storage, storageByteCount: UInt64(byteCount),
                usable: usable, reservations: reservations)
        } catch {
            fuzzRequire(false, "set-up refused: \(error)")
            fatalError()
        }
        model = FrameAllocatorModel(span: managed, usable: usableList, reserved: reservedList)
    }

    /// The state bytes (the run-length cache after them may be tightened by a failed search).
    func snapshot() -> [UInt8] { Array(UnsafeRawBufferPointer(start: storage, count: Int(allocator.stateBytes))) }

    mutating func step() {
        switch input.below(8) {
        case 0, 1, 2: allocate(count: 1, alignment: 1, single: true)
        case 3, 4: allocate(count: UInt64(input.below(70)) + 1, alignment: 1 << UInt64(input.below(8)), single: false)
        case 5, 6:
            guard !model.runs.isEmpty else { return }
            let run = model.runs[input.below(model.runs.count)]
            free(start: run.start, count: run.count)
        default:
            if input.nextByte() & 7 == 0 {
                let alignment = [0, 3, 6, 100, 1 << 40 | 1][input.below(5)]
                allocate(count: UInt64(input.below(4)), alignment: UInt64(alignment), single: false)
            } else {
                let start = model.span.start.raw &- 8 &+ UInt64(input.below(Int(model.span.count) + 16))
                free(start: start, count: UInt64(input.below(80)))
            }
        }
    }

    mutating func allocate(count: UInt64, alignment: UInt64, single: Bool) {
        let expected = model.expectedAllocation(count: count, alignment: alignment)
        let before = snapshot()
        do throws(FrameAllocatorError) {
            let start = single ? try allocator.allocate() : try allocator.allocate(count: count, alignment: alignment)
            fuzzRequire(expected == .success(start.raw), "allocate \(count)/\(alignment) at \(start.raw), model \(expected)")
            model.allocate(start: start.raw, count: count)
        } catch {
            fuzzRequire(expected == .failure(error), "allocate \(count)/\(alignment): \(error), model \(expected)")
            fuzzRequire(snapshot() == before, "a refused allocation changed metadata")
        }
    }

    mutating func free(start: UInt64, count: UInt64) {
        let expected = model.expectedFreeError(start: start, count: count)
        let before = snapshot()
        do throws(FrameAllocatorError) {
            try allocator.free(runStartingAt: FrameNumber(start), count: count)
            fuzzRequire(expected == nil, "free(\(start), \(count)) succeeded, model \(String(describing: expected))")
            model.free(start: start)
        } catch {
            fuzzRequire(error == expected, "free(\(start), \(count)): \(error), model \(String(describing: expected))")
            fuzzRequire(snapshot() == before, "a refused free changed metadata")
        }
    }

    func check() {
        fuzzRequire(allocator.checkInvariants() == nil, "invariant: \(String(describing: allocator.checkInvariants()))")
        fuzzRequire(allocator.statistics.freeFrames == model.freeCount, "free count")
        var longest: UInt64 = 0, current: UInt64 = 0
        for frame in model.span.start.raw ..< model.span.end.raw {
            let state = model.state(frame)
            fuzzRequire(ModelFrame(allocator.state(of: FrameNumber(frame))) == state, "frame \(frame) state")
            current = state == .free ? current + 1 : 0
            longest = max(longest, current)
        }
        fuzzRequire(allocator.largestFreeRun() == longest, "largestFreeRun \(allocator.largestFreeRun()) != \(longest)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrames(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard var session = FrameSession(fuzzInput(data, size)) else { return 0 }
    defer { session.storage.deallocate() }
    session.check()
    var steps = 0
    while !session.input.isExhausted && steps < 4096 {
        session.step()
        session.check()
        steps += 1
    }
    return 0
}

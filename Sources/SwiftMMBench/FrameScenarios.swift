// Frame allocator benchmarks (group "frame"). There is no glibc counterpart, so each scenario is
// run interleaved against a naive peer written here, in the blog_os spirit: a plain bitmap with
// one bit per frame, searched frame by frame from frame 0 on every call. `ratio_vs_naive` is
// naive time / ours (median over interleaved rounds; > 1 means ours is faster); the naive bitmap
// is the only peer, so it is also `best_peer` (no ratio_vs_glibc: glibc has no frame allocator).
//
// Both allocators see the same QEMU-like 6 GiB map (usable [0, 0x9f000) [1 MiB, 3 GiB)
// [4 GiB, 7 GiB), first MiB and a 2 MiB kernel image reserved) and the same pre-held frames, and
// both are first fit, so they return the same frames: each scenario checks that once before timing.
#if canImport(Glibc)
import Glibc
#endif
import MemoryCore
import PhysicalMemory

/// The blog_os-style peer: one bit per frame (1 = in use), linear search from frame 0.
final class NaiveBitmapFrameAllocator {
    let frameCount: Int
    let used: UnsafeMutablePointer<UInt64>

    /// Everything starts in use except `usable` (so holes and reservations are never handed out).
    init(frameCount: Int, usable: UsableFrameRanges) {
        self.frameCount = frameCount
        let words = (frameCount + 63) / 64
        used = UnsafeMutablePointer<UInt64>.allocate(capacity: words)
        used.initialize(repeating: ~0, count: words)
        for index in 0 ..< usable.count {
            for frame in usable[index].start.raw ..< usable[index].end.raw { clear(Int(frame)) }
        }
    }

    deinit { used.deallocate() }

    @inline(__always) func isUsed(_ frame: Int) -> Bool { used[frame >> 6] >> UInt64(frame & 63) & 1 == 1 }
    @inline(__always) func set(_ frame: Int) { used[frame >> 6] |= 1 << UInt64(frame & 63) }
    @inline(__always) func clear(_ frame: Int) { used[frame >> 6] &= ~(1 << UInt64(frame & 63)) }

    func allocate() -> Int? {
        var frame = 0
        while frame < frameCount {
            if !isUsed(frame) {
                set(frame)
                return frame
            }
            frame += 1
        }
        return nil
    }

    /// First fit: the lowest multiple of `alignment` starting `count` free frames.
    func allocate(count: Int, alignment: Int) -> Int? {
        var start = 0
        while start + count <= frameCount {
            var blocked: Int? = nil
            var frame = start
            while frame < start + count {
                if isUsed(frame) {
                    blocked = frame
                    break
                }
                frame += 1
            }
            guard let blocked else {
                for frame in start ..< start + count { set(frame) }
                return start
            }
            start = (blocked + alignment) & ~(alignment - 1)
        }
        return nil
    }

    func free(_ frame: Int, count: Int = 1) {
        for each in frame ..< frame + count { clear(each) }
    }
}

/// The shared setup: usable frame ranges of a QEMU-like 6 GiB machine.
struct SixGiBMachine {
    let usable: UsableFrameRanges
    let storage: UnsafeMutableRawPointer
    let ours: FrameAllocator
    let naive: NaiveBitmapFrameAllocator

    init() {
        var map = MemoryMap()
        map.append(MemoryRegion(start: 0, end: 0x9fc00, kind: .usable))
        map.append(MemoryRegion(start: 0x9fc00, end: 0xa0000, kind: .reserved))
        map.append(MemoryRegion(start: 0xf0000, end: 0x100000, kind: .reserved))
        map.append(MemoryRegion(start: 0x100000, end: 0xc000_0000, kind: .usable))
        map.append(MemoryRegion(start: 0xfeff_c000, end: 0xff00_0000, kind: .reserved))
        map.append(MemoryRegion(start: 0xfffc_0000, end: 0x1_0000_0000, kind: .reserved))
        map.append(MemoryRegion(start: 0x1_0000_0000, end: 0x1_c000_0000, kind: .usable))
        map.append(MemoryRegion(start: 0xfd_0000_0000, end: 0x100_0000_0000, kind: .reserved))
        var reservations = ReservationList()
        try! reservations.add(PhysicalRange(start: PhysicalAddress(0), end: PhysicalAddress(MiB)), reason: .firstMebibyte)
        try! reservations.add(PhysicalRange(start: PhysicalAddress(MiB), end: PhysicalAddress(3 * MiB)), reason: .kernelImage)
        usable = UsableFrameRanges(map: map.normalised(), reservations: reservations)
        let bytes = FrameAllocator.metadataByteCount(managing: usable.span)
        storage = UnsafeMutableRawPointer.allocate(byteCount: Int(bytes), alignment: 4096)
        ours = try! FrameAllocator(
            span: usable.span, storage: storage, storageByteCount: bytes,
            usable: usable, reservations: reservations, recentFrames: FrameAllocator.recentCapacity)  // as the kernel
        naive = NaiveBitmapFrameAllocator(frameCount: Int(usable.span.end.raw), usable: usable)
    }

    /// Holds the lowest `count` usable frames in both allocators. The naive peer is given the
    /// frames ours returned (each must be free there) rather than searching for each one from
    /// frame 0: the setup is untimed, and a quadratic setup made callgrind runs take minutes.
    func holdLowest(_ count: Int) {
        for _ in 0 ..< count { holdInNaive(try! ours.allocate()) }
    }

    private func holdInNaive(_ frame: FrameNumber) {
        benchCheck(!naive.isUsed(Int(frame.raw)), "peers disagree while holding frames")
        naive.set(Int(frame.raw))
    }

    /// Holds the first `count` usable frames, then frees those whose position i (0 ..< count)
    /// `keep(i)` does not keep.
    func fragmentLowest(_ count: Int, keeping keep: (Int) -> Bool) {
        var held: [FrameNumber] = []
        for _ in 0 ..< count { held.append(try! ours.allocate()) }
        for frame in held { holdInNaive(frame) }
        for (index, frame) in held.enumerated() where !keep(index) {
            try! ours.free(frame)
            naive.free(Int(frame.raw))
        }
        ours.drainRecentFrames()  // both peers then hold exactly the same frames free in their bitmaps
    }

    func release() { storage.deallocate() }
}

func runFrameAllocatorScenarios() {
    let perGiB = FrameAllocator.metadataByteCount(managing: FrameRange(FrameNumber(0), FrameNumber(GiB / frameSize)))
    if frameScenarioSelected("frame_single_pair") { singlePairScenario(metadataPerGiB: perGiB) }
    fragmentedRunScenario(count: 64, alignment: 64, .heldEvery(7), scenario: "frame_run64_fragmented")
    fragmentedRunScenario(count: 8, alignment: 8, .heldEvery(7), scenario: "frame_run8_fragmented")
    // Free stretches of exactly the run's length that the alignment rules out, in every word:
    // a summary of stretch lengths alone sees a candidate in each of them.
    for count in [2, 4, 8, 32] {
        fragmentedRunScenario(count: count, alignment: count, .misaligned(count), scenario: "frame_run\(count)_misaligned")
    }
    // A count that is not a power of two, aligned to the next one: free frames 2, 3, 4 of every 8
    // hold 3 free frames and an aligned pair but no 3 free frames at a multiple of 4.
    fragmentedRunScenario(
        count: 3, alignment: 4, .freeStretch(length: 3, offset: 2, period: 8), scenario: "frame_run3_align4_misaligned")
    // A run that needs no alignment, longer than every free gap (held every 5th: gaps of 4).
    fragmentedRunScenario(count: 5, alignment: 1, .heldEvery(5), scenario: "frame_run5_unaligned_fragmented")
}

/// Scenario filter: env SWIFTMM_FRAME_SCENARIO=text keeps the frame scenarios whose name contains it
/// (e.g. one scenario under callgrind).
func frameScenarioSelected(_ name: String) -> Bool { scenarioSelected(name, filter: "SWIFTMM_FRAME_SCENARIO") }

/// Which of the lowest usable frames a fragmented scenario keeps held (position i counts from the
/// first usable frame, which is a multiple of 64, so i & 63 is the frame's place in its word).
enum Fragmentation {
    /// Every `stride`-th frame held: free gaps of stride - 1 frames.
    case heldEvery(Int)
    /// Period 2 * length: free frames [length / 2, length / 2 + length), the rest held. Every word
    /// has free stretches of `length` frames, none of them starting at a multiple of `length`.
    case misaligned(Int)
    /// Period `period`: free frames [offset, offset + length), the rest held.
    case freeStretch(length: Int, offset: Int, period: Int)

    func keeps(_ position: Int) -> Bool {
        switch self {
        case .heldEvery(let stride): return position % stride == 0
        case .misaligned(let length):
            return Fragmentation.freeStretch(length: length, offset: length / 2, period: 2 * length).keeps(position)
        case .freeStretch(let length, let offset, let period):
            let phase = position % period
            return phase < offset || phase >= offset + length
        }
    }

    /// The bench line's fields describing it (held_every= as before for the every-k pattern).
    var fields: [(String, String)] {
        switch self {
        case .heldEvery(let stride): return [("held_every", String(stride)), ("pattern", "held-every")]
        case .misaligned(let length): return [("free_stretch", String(length)), ("pattern", "misaligned")]
        case .freeStretch(let length, let offset, let period):
            return [("free_stretch", String(length)), ("free_offset", String(offset)), ("free_period", String(period))]
        }
    }
}

/// Prints the standard line for ours (contender 0) against the naive peer (contender 1).
func emitVersusNaive(scenario: String, _ comparison: Comparison, extra: [(String, String)]) {
    let ratio = comparison.ratio(of: 0, against: 1)
    emitBenchLine(
        scenario: scenario,
        [
            ("allocator", "swiftmm-frames"),
            ("ns_per_op", fixed(comparison.nsPerOp[0])),
            ("naive_ns_per_op", fixed(comparison.nsPerOp[1])),
            ("ratio_vs_naive", fixed(ratio.median)),
        ] + bestPeerFields(comparison, ours: 0, peers: [1], names: ["swiftmm-frames", "naive-bitmap"]) + [
            ("ratio_min", fixed(ratio.min)),
            ("ratio_max", fixed(ratio.max)),
            ("rounds", String(comparison.roundTimes[0].count)),
        ] + extra)
}

/// One allocate() + free() pair per operation, with the lowest 64 MiB of RAM already in use
/// (kernel heap, page tables...): the state a running kernel allocates from. Ours runs as the
/// kernel configures it, with the recent-frames stack (FrameAllocator+RecentFrames.swift): a
/// pair is a push and a pop once the first free has stacked a frame.
func singlePairScenario(metadataPerGiB: UInt64) {
    let machine = SixGiBMachine()
    defer { machine.release() }
    let held = 16_384
    machine.holdLowest(held)
    let ours = machine.ours, naive = machine.naive
    let ourFrame = try! ours.allocate(), naiveFrame = naive.allocate()
    benchCheck(ourFrame.raw == UInt64(naiveFrame!), "peers disagree")
    let operations = 2000
    let comparison = compare(
        [
            Contender(name: "swiftmm-frames") {
                for _ in 0 ..< operations {
                    let frame = try! ours.allocate()
                    try! ours.free(frame)
                    blackHole(frame)
                }
            },
            Contender(name: "naive-bitmap") {
                for _ in 0 ..< operations {
                    let frame = naive.allocate()!
                    naive.free(frame)
                    blackHole(frame)
                }
            },
        ], operations: operations)
    benchCheck(ours.checkInvariants() == nil, "frame allocator invariants after the benchmark")
    emitVersusNaive(
        scenario: "frame_single_pair", comparison,
        extra: [
            ("held_frames", String(held + 1)),
            ("managed_frames", String(ours.statistics.totalFrames)),
            ("metadata_bytes", String(ours.metadataBytes)),
            ("metadata_bytes_per_gib", String(metadataPerGiB)),
            ("metadata_percent", fixed(Double(metadataPerGiB) * 100 / Double(GiB), 4)),
        ])
}

/// One aligned run allocate + free per operation, with the lowest 256 MiB fragmented (e.g. every
/// 7th frame held: free gaps of 6 frames), so no run fits there and both searches must get past
/// it. Runs of 64 (aligned 64) use the full-word summaries; shorter ones the run-length and
/// aligned-block summaries, then word-pair masks.
func fragmentedRunScenario(
    count: Int, alignment: Int, _ fragmentation: Fragmentation, scenario: String, operations: Int = 1000
) {
    guard frameScenarioSelected(scenario) else { return }
    let machine = SixGiBMachine()
    defer { machine.release() }
    let fragmented = 65_536
    machine.fragmentLowest(fragmented, keeping: fragmentation.keeps)
    let ours = machine.ours, naive = machine.naive
    let ourRun = try! ours.allocate(count: UInt64(count), alignment: UInt64(alignment))
    let naiveRun = naive.allocate(count: count, alignment: alignment)
    benchCheck(naiveRun.map(UInt64.init) == ourRun.raw, "peers disagree")
    try! ours.free(runStartingAt: ourRun, count: UInt64(count))
    naive.free(Int(ourRun.raw), count: count)
    let comparison = compare(
        [
            Contender(name: "swiftmm-frames") {
                for _ in 0 ..< operations {
                    let run = try! ours.allocate(count: UInt64(count), alignment: UInt64(alignment))
                    try! ours.free(runStartingAt: run, count: UInt64(count))
                    blackHole(run)
                }
            },
            Contender(name: "naive-bitmap") {
                for _ in 0 ..< operations {
                    let run = naive.allocate(count: count, alignment: alignment)!
                    naive.free(run, count: count)
                    blackHole(run)
                }
            },
        ], operations: operations)
    benchCheck(ours.checkInvariants() == nil, "frame allocator invariants after the benchmark")
    emitVersusNaive(
        scenario: scenario, comparison,
        extra: [
            ("run_frames", String(count)), ("alignment_frames", String(alignment)),
            ("fragmented_frames", String(fragmented)),
        ] + fragmentation.fields + [("run_start", String(ourRun.raw))])
}

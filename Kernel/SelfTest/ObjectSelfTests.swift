// In-kernel tests of Kernel/Objects: the exact shared-frame count against a plain reference (a
// table of leaves per frame and process, recounted after every step), with its checker after every
// operation; and the object frame source (zeroed frames, a 4 KiB copy, every frame back).
import MemoryCore
import PhysicalMemory

enum ObjectSelfTests {
    static func run(_ runner: inout SelfTestRunner) {
        runner.run("objects.shared_frames_match_a_recount") { t in
            // leaves[frame][pid]: the reference, 8 frames x 4 processes.
            var reference = InlineArray<32, UInt32>(repeating: 0)
            var counter = SharedFrames()
            var referencePeak: UInt64 = 0
            var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
            for _ in 0 ..< 20_000 {
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let frame = Int(seed >> 33) % 8, pid = Int(seed >> 40) % 4, map = (seed >> 50) % 3 != 0
                let index = frame * 4 + pid
                if map {
                    reference[index] += 1
                    counter.leafMapped(FrameNumber(UInt64(0x4000 + frame)), pid: pid + 1)
                } else {
                    let known = counter.leafUnmapped(FrameNumber(UInt64(0x4000 + frame)), pid: pid + 1)
                    t.expect(known == (reference[index] > 0), "an uncounted unmap is refused, a counted one taken")
                    if reference[index] > 0 { reference[index] -= 1 }
                }
                var shared: UInt64 = 0
                for f in 0 ..< 8 {
                    var spaces = 0
                    for p in 0 ..< 4 where reference[f * 4 + p] > 0 { spaces += 1 }
                    if spaces >= 2 { shared += 1 }
                }
                referencePeak = max(referencePeak, shared)
                t.expectEqual(counter.sharedNow, shared, "frames in 2+ spaces")
                t.expect(counter.checkInvariants() == nil, "SharedFrames invariants")
            }
            t.expectEqual(counter.peak, referencePeak, "peak")
            for f in 0 ..< 8 {
                for p in 0 ..< 4 {
                    while reference[f * 4 + p] > 0 {
                        reference[f * 4 + p] -= 1
                        counter.leafUnmapped(FrameNumber(UInt64(0x4000 + f)), pid: p + 1)
                    }
                }
            }
            t.expect(counter.isEmpty && counter.sharedNow == 0, "empty after every leaf went")
        }

        runner.run("objects.frame_source_zeroes_copies_and_returns") { t in
            let free = KernelMemory.frames.statistics.freeFrames
            var source = KernelObjectFrames()
            guard let a = source.allocateZeroedFrame(), let b = source.allocateZeroedFrame() else {
                t.expect(false, "two frames")
                return
            }
            let pa = physicalPointer(a.startAddress), pb = physicalPointer(b.startAddress)
            var zero = true
            for offset in stride(from: 0, to: Int(frameSize), by: 8) where pa.load(fromByteOffset: offset, as: UInt64.self) != 0 {
                zero = false
            }
            t.expect(zero, "a fresh object frame reads as zero")
            for offset in stride(from: 0, to: Int(frameSize), by: 8) {
                pa.storeBytes(of: UInt64(offset) ^ 0xA5A5, toByteOffset: offset, as: UInt64.self)
            }
            source.copyFrame(from: a, to: b)
            var same = true
            for offset in stride(from: 0, to: Int(frameSize), by: 8)
            where pb.load(fromByteOffset: offset, as: UInt64.self) != UInt64(offset) ^ 0xA5A5 {
                same = false
            }
            t.expect(same, "the copy holds all 4 KiB")
            source.freeFrame(a)
            source.freeFrame(b)
            t.expectEqual(KernelMemory.frames.statistics.freeFrames, free, "every frame back")
        }
    }
}

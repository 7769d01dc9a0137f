// Seeded random get/put sequences against a reference model (the set of live slots with their
// fill patterns), with bad puts mixed in (foreign, misaligned, double). After every step:
// checkInvariants() is nil, the live count matches, every live slot holds its pattern, and a
// refused put changed nothing. At the end, destruction gives the mapping back.

import Testing
import TestSupport
@testable import UserAllocators

@Suite struct ObjectPoolRandomizedTests {
    @Test(arguments: [1, 7, 0xBEEF, 0xFACADE])
    func randomSequencesMatchTheModel(seed: UInt64) throws {
        let source = FakePageSource()
        var rng = SeededGenerator(seed: seed)
        do {
            let slotBytes = Int.random(in: 1 ... 200, using: &rng)
            let capacity = Int.random(in: 1 ... 300, using: &rng)
            var pool = try ObjectPool(source: source, slotByteCount: slotBytes, capacity: capacity)
            var live: [UInt: UInt8] = [:]
            var freed: [UInt] = []
            var pattern: UInt8 = 0
            for step in 0 ..< 3000 {
                let choice = Int.random(in: 0 ..< 100, using: &rng)
                if choice < 50 {
                    if live.count == capacity {
                        #expect(throws: PoolError.exhausted) { try pool.get() }
                    } else {
                        let slot = UInt(bitPattern: try pool.get())
                        try #require(live[slot] == nil, "step \(step): a live slot handed out again")
                        pattern = pattern == 255 ? 1 : pattern + 1
                        UnsafeMutableRawPointer(bitPattern: slot)!.initializeMemory(
                            as: UInt8.self, repeating: pattern, count: slotBytes)
                        live[slot] = pattern
                        freed.removeAll { $0 == slot }
                    }
                } else if choice < 90 {
                    if let slot = live.keys.randomElement(using: &rng) {
                        try pool.put(UnsafeMutableRawPointer(bitPattern: slot)!)
                        live[slot] = nil
                        freed.append(slot)
                    }
                } else {
                    let before = pool.statistics.live
                    if choice < 94, let slot = freed.randomElement(using: &rng) {
                        #expect(throws: PoolError.self) { try pool.put(UnsafeMutableRawPointer(bitPattern: slot)!) }
                    } else if choice < 97, let slot = live.keys.randomElement(using: &rng) {
                        let inside = UnsafeMutableRawPointer(
                            bitPattern: slot + UInt(Int.random(in: 1 ..< pool.slotByteCount, using: &rng)))!
                        #expect(throws: PoolError.self) { try pool.put(inside) }
                    } else {
                        let foreign = UnsafeMutableRawPointer(
                            bitPattern: source.bufferBase + UInt(Int.random(in: 0 ..< 1 << 28, using: &rng)) * 16 + 1 << 30)!
                        #expect(throws: PoolError.self) { try pool.put(foreign) }
                    }
                    #expect(pool.statistics.live == before)
                }
                let violation = pool.checkInvariants()
                try #require(violation == nil, "step \(step): \(String(describing: violation))")
                try #require(pool.liveCount == live.count, "step \(step)")
                for (slot, fill) in live {
                    let bytes = UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: slot), count: slotBytes)
                    try #require(bytes.allSatisfy { $0 == fill }, "step \(step): slot overwritten")
                }
            }
        }
        #expect(source.mappings.isEmpty && source.misuse.isEmpty)
    }
}

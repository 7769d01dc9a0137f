// FixedCapacityList: a full append is a CapacityExceeded value that changes nothing; the list is
// checked against an Array model over seeded random operations.

import Testing
import TestSupport
import MemoryCore

@Suite struct FixedCapacityListTests {
    @Test func fullAppendIsAValueAndChangesNothing() {
        var list = FixedCapacityList<3, Int>(filler: -1)
        #expect(list.isEmpty && list.last == nil)
        for value in 1 ... 3 { #expect(throws: Never.self) { try list.append(value) } }
        #expect(list.isFull)
        #expect(throws: CapacityExceeded(capacity: 3)) { try list.append(4) }
        #expect(list.count == 3 && list.last == 3)
        #expect(list.removeLast() == 3)
        #expect(throws: Never.self) { try list.append(9) }
        #expect((0 ..< list.count).map { list[$0] } == [1, 2, 9])
    }

    @Test func sortIsStable() throws {
        var list = FixedCapacityList<8, (key: Int, tag: Int)>(filler: (0, 0))
        for (index, key) in [3, 1, 3, 2, 1].enumerated() { try list.append((key, index)) }
        list.sort { $0.key < $1.key }
        #expect((0 ..< list.count).map { list[$0].tag } == [1, 4, 3, 0, 2])
    }

    @Test(arguments: [1, 2, 3])
    func randomOperationsMatchAnArray(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        var list = FixedCapacityList<16, UInt8>(filler: 0)
        var model: [UInt8] = []
        for _ in 0 ..< 2000 {
            switch Int.random(in: 0 ..< 10, using: &rng) {
            case 0 ..< 6:
                let value = UInt8.random(in: 0 ... 255, using: &rng)
                do {
                    try list.append(value)
                    model.append(value)
                } catch {
                    #expect(model.count == 16 && error == CapacityExceeded(capacity: 16))
                }
            case 6 ..< 9:
                #expect(list.removeLast() == model.popLast())
            default:
                let keep = Int.random(in: 0 ... model.count, using: &rng)
                list.truncate(to: keep)
                model.removeLast(model.count - keep)
            }
            #expect(list.count == model.count && list.isFull == (model.count == 16))
            #expect((0 ..< list.count).map { list[$0] } == model)
        }
    }
}

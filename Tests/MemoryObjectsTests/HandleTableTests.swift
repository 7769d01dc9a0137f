// The handle table: value encoding, lowest free slot, generations (a closed value is refused),
// startup handles, the 64-slot limit, and every malformed value.
import MemoryCore
@testable import MemoryObjects
import Testing

private let object = Handle(object: .memory(ObjectID(raw: 0x10000)), rights: .all)

@Suite struct HandleTableTests {
    @Test func valuesAreGenerationAndSlotPlusOne() throws {
        var table = HandleTable()
        #expect(try table.insert(object) == HandleValue(raw: 0x10001))
        #expect(try table.insert(object) == HandleValue(raw: 0x10002))
        #expect(try table.remove(HandleValue(raw: 0x10001)) == object)
        // The freed slot 0 is the lowest free, with generation 2.
        #expect(try table.insert(object) == HandleValue(raw: 0x20001))
        #expect(table.checkInvariants() == nil)
    }

    @Test func closedValueIsRefused() throws {
        var table = HandleTable()
        let value = try table.insert(object)
        _ = try table.remove(value)
        #expect(throws: ObjectError.badHandle) { try table.lookup(value) }
        #expect(throws: ObjectError.badHandle) { try table.remove(value) }
        _ = try table.insert(object)  // the slot is reused with another generation
        #expect(throws: ObjectError.badHandle) { try table.lookup(value) }
    }

    @Test(arguments: [0, 0x10000, 0x10041, 0x1_0000_0001, 0x00001, UInt64.max, 0x20001])
    func malformedOrUnknownValuesAreBadHandles(raw: UInt64) throws {
        var table = HandleTable()
        _ = try table.insert(object)
        #expect(throws: ObjectError.badHandle) { try table.lookup(HandleValue(raw: raw)) }
        #expect(throws: ObjectError.badHandle) { try table.remove(HandleValue(raw: raw)) }
        #expect(table.count == 1)
    }

    @Test func sixtyFourSlotsThenFull() throws {
        var table = HandleTable()
        for i in 0 ..< HandleTable.capacity { #expect(try table.insert(object) == HandleValue(raw: 0x10000 | UInt64(i + 1))) }
        #expect(throws: ObjectError.handleTableFull) { try table.insert(object) }
        #expect(table.count == 64 && table.checkInvariants() == nil)
        #expect(table.removeAll().count == 64)
        #expect(table.count == 0 && table.checkInvariants() == nil)
    }

    @Test func generationWrapsSkippingZero() throws {
        var generation = Generation.first
        for _ in 0 ..< 65_535 { generation = generation.next }
        #expect(generation == .first)
        #expect(Generation(raw: 0) == nil)
        #expect(Generation(raw: 0xFFFF)!.next == .first)
    }

    @Test func startupHandlesTakeSlotsFromZeroWithGenerationOne() throws {
        var child = HandleTable()
        let values = try child.insertStartup([object, object, object])
        #expect(values == [0x10001, 0x10002, 0x10003].map { HandleValue(raw: $0) })
        #expect(values == (0 ..< 3).map { HandleValue.startup(index: $0) })
        var used = HandleTable()
        _ = try used.remove(try used.insert(object))
        #expect(throws: ObjectError.handleTableFull) { try used.insertStartup([object]) }
        var fresh = HandleTable()
        #expect(throws: ObjectError.handleTableFull) { try fresh.insertStartup(Array(repeating: object, count: 65)) }
        #expect(fresh.count == 0)
    }

    @Test func transferIsAllOrNothing() throws {
        var table = HandleTable()
        let a = try table.insert(object)
        let b = try table.insert(Handle(object: object.object, rights: [.read]))
        #expect(throws: ObjectError.rightsExceeded) { try table.removeForTransfer([a, b]) }
        #expect(throws: ObjectError.duplicateHandle) { try table.removeForTransfer([a, a]) }
        #expect(throws: ObjectError.badHandle) { try table.removeForTransfer([a, HandleValue(raw: 0x10009)]) }
        #expect(table.count == 2)
        #expect(try table.removeForTransfer([a]) == [object])
        #expect(table.count == 1)
    }

    @Test func rightsFromUserBits() {
        #expect(Rights(validating: 31) == .all)
        #expect(Rights(validating: 32) == nil)
        #expect(Rights.all.rawValue == 31)
    }
}

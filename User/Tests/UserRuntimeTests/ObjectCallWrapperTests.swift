// The memory-object and channel wrappers (calls 12-21, spawn with handles) put every argument in
// its register slot unchanged, handle values and rights included, and decode the results: a
// handle, an address, the receive's byte and handle counts, the four errnos they add.
import MemoryCore
import Testing
@testable import UserSyscalls

extension FakeKernelSuite {
    @Suite("Memory-object and channel wrappers")
    struct ObjectCallWrapperTests {
        init() { fakeKernel = FakeKernel() }

        /// Answers the next call with `result` and returns what the wrapper then passed.
        private func forced(_ result: Int64) { fakeKernel.forcedResult = result }
        private var last: RecordedCall? { fakeKernel.calls.last }

        @Test func numbersOfTheObjectCallsMatchTheABI() {
            let table: [(SyscallNumber, UInt64)] = [
                (.objectCreate, 12), (.objectMap, 13), (.objectCommit, 14), (.handleDuplicate, 15), (.handleClose, 16),
                (.objectClone, 17), (.channelCreate, 18), (.channelSend, 19), (.channelReceive, 20), (.objectFromRange, 21),
            ]
            for (number, raw) in table { #expect(number.rawValue == raw) }
        }

        @Test func newErrnoValuesAndNames() {
            let table: [(Errno, Int32, String)] = [
                (.badHandle, 9, "EBADF"), (.permissionDenied, 13, "EACCES"), (.tooManyHandles, 24, "EMFILE"),
                (.brokenPipe, 32, "EPIPE"),
            ]
            for (errno, raw, name) in table {
                #expect(errno.rawValue == raw)
                #expect(errno.name.description == name)
                forced(-Int64(raw))
                #expect(throws: errno) { try Syscall.handleClose(HandleValue(raw: 0x10001)) }
            }
        }

        @Test func createMapCommitPassEveryValueUnchanged() throws {
            forced(0x2_0003)
            #expect(try Syscall.objectCreate(size: 5000) == HandleValue(raw: 0x2_0003))
            #expect(last == RecordedCall(number: 12, arguments: [5000, 0, 0, 0, 0, 0]))
            forced(-22)
            #expect(throws: Errno.invalidArgument) { try Syscall.objectCreate(size: 0, options: 7) }
            #expect(last == RecordedCall(number: 12, arguments: [0, 7, 0, 0, 0, 0]))

            forced(0x1000_0000_0000)
            let handle = HandleValue(raw: 0xFFFF_0040)
            #expect(
                try Syscall.objectMap(handle, offset: 4097, length: 3, protection: .readWrite, hint: VirtualAddress(0x1234))
                    == VirtualAddress(0x1000_0000_0000))
            #expect(last == RecordedCall(number: 13, arguments: [0xFFFF_0040, 4097, 3, 3, 0x1234, 0]))
            forced(-17)
            #expect(throws: Errno.exists) { try Syscall.objectMap(handle, offset: 0, length: 4096, protection: .read) }
            #expect(last == RecordedCall(number: 13, arguments: [0xFFFF_0040, 0, 4096, 1, 0, 0]), "no hint: 0")
            forced(0x2000_0000_0000)
            _ = try Syscall.objectMap(handle, offset: 0, length: 4096, protection: .read, options: MapOptions(populate: true))
            #expect(last == RecordedCall(number: 13, arguments: [0xFFFF_0040, 0, 4096, 1, 0, 1]), "options in r9")

            forced(0)
            try Syscall.objectCommit(handle, offset: 8192, length: UInt64.max, operation: .decommit)
            #expect(last == RecordedCall(number: 14, arguments: [0xFFFF_0040, 8192, UInt64.max, 1, 0, 0]))
            forced(-22)
            #expect(throws: Errno.invalidArgument) { try Syscall.objectCommit(handle, offset: 0, length: 1, rawOperation: 9) }
            #expect(last == RecordedCall(number: 14, arguments: [0xFFFF_0040, 0, 1, 9, 0, 0]))
        }

        @Test func handleCallsPassHandleAndRights() throws {
            forced(0x1_0005)
            let copy = try Syscall.handleDuplicate(HandleValue(raw: 0x1_0001), rights: [.read, .map, .transfer])
            #expect(copy == HandleValue(raw: 0x1_0005))
            #expect(last == RecordedCall(number: 15, arguments: [0x1_0001, 1 | 4 | 16, 0, 0, 0, 0]))
            forced(-13)
            #expect(throws: Errno.permissionDenied) { try Syscall.handleDuplicate(copy, rights: [.write, .duplicate]) }
            #expect(last == RecordedCall(number: 15, arguments: [0x1_0005, 2 | 8, 0, 0, 0, 0]))
            forced(0)
            try Syscall.handleClose(HandleValue(raw: UInt64.max))
            #expect(last == RecordedCall(number: 16, arguments: [UInt64.max, 0, 0, 0, 0, 0]))
            forced(0x3_0002)
            #expect(try Syscall.objectClone(copy, offset: 4096, length: 1 << 40) == HandleValue(raw: 0x3_0002))
            #expect(last == RecordedCall(number: 17, arguments: [0x1_0005, 4096, 1 << 40, 0, 0, 0]))
            forced(0x1_0009)
            #expect(
                try Syscall.objectFromRange(address: VirtualAddress(0x1000_0000_1000), length: 4 << 20)
                    == HandleValue(raw: 0x1_0009))
            #expect(last == RecordedCall(number: 21, arguments: [0x1000_0000_1000, 4 << 20, 0, 0, 0, 0]))
            #expect(
                HandleValue.startup(index: 0) == HandleValue(raw: 0x1_0001)
                    && HandleValue.startup(index: 3) == HandleValue(raw: 0x1_0004))
        }

        @Test func channelCallsPassBuffersCountsAndFlags() throws {
            // channel_create writes two handles at `out`: the real kernel does; the wrapper reads them back.
            forced(0)
            _ = try Syscall.channelCreate()
            #expect(last?.number == 18 && last?.arguments[0] != 0 && last?.arguments[1] == 0)
            forced(-24)
            #expect(throws: Errno.tooManyHandles) { try Syscall.channelCreate(into: VirtualAddress(0x10_0000)) }
            #expect(last == RecordedCall(number: 18, arguments: [0x10_0000, 0, 0, 0, 0, 0]))

            let channel = HandleValue(raw: 0x1_0002)
            let bytes: [UInt8] = [1, 2, 3, 4, 5]
            let handles: [UInt64] = [0x1_0001, 0x2_0003]
            try bytes.withUnsafeBytes { (message) throws in
                try handles.withUnsafeBufferPointer { (sent) throws in
                    forced(0)
                    try Syscall.channelSend(channel, bytes: message, handles: sent)
                    let base = UInt64(UInt(bitPattern: message.baseAddress)), list = UInt64(UInt(bitPattern: sent.baseAddress))
                    #expect(last == RecordedCall(number: 19, arguments: [0x1_0002, base, 5, list, 2, 0]))
                }
            }
            forced(-32)
            #expect(throws: Errno.brokenPipe) {
                try Syscall.channelSend(
                    channel, bytesAt: VirtualAddress(7), length: 300, handlesAt: VirtualAddress(9), handleCount: UInt64.max)
            }
            #expect(last == RecordedCall(number: 19, arguments: [0x1_0002, 7, 300, 9, UInt64.max, 0]))

            forced(Int64(3 << 32 | 200))
            let received = try Syscall.channelReceive(
                channel, bufferAt: VirtualAddress(0x1000), capacity: 256, handlesAt: VirtualAddress(0x2000), handleCapacity: 4,
                flags: 1)
            #expect(received == ReceivedMessage(raw: 3 << 32 | 200) && received.byteCount == 200 && received.handleCount == 3)
            #expect(
                last == RecordedCall(number: 20, arguments: [0x1_0002, 0x1000, 256, 0x2000, 4, 1]),
                "six arguments: r9 is the flags")
            var buffer = [UInt8](repeating: 0, count: 64)
            var out = [UInt64](repeating: 0, count: 4)
            try buffer.withUnsafeMutableBytes { (into) throws in
                try out.withUnsafeMutableBufferPointer { (handlesOut) throws in
                    forced(-11)
                    #expect(throws: Errno.tryAgain) {
                        try Syscall.channelReceive(channel, into: into, handles: handlesOut, nonblocking: true)
                    }
                    let base = UInt64(UInt(bitPattern: into.baseAddress)), list = UInt64(UInt(bitPattern: handlesOut.baseAddress))
                    #expect(last == RecordedCall(number: 20, arguments: [0x1_0002, base, 64, list, 4, 1]))
                    forced(8)
                    #expect(try Syscall.channelReceive(channel, into: into) == ReceivedMessage(raw: 8))
                    #expect(
                        last == RecordedCall(number: 20, arguments: [0x1_0002, base, 64, 0, 0, 0]), "blocking, no handle buffer")
                }
            }
        }

        @Test func spawnPassesTheHandleListAfterTheName() throws {
            let handles: [UInt64] = [0x1_0003, 0x1_0004, 0x5_0001]
            try handles.withUnsafeBufferPointer { (list) throws in
                forced(7)
                #expect(try Syscall.spawn("ring_consumer", handles: list) == 7)
                let arguments = last?.arguments ?? []
                #expect(last?.number == 7 && arguments[1] == 13)
                #expect(arguments[2] == UInt64(UInt(bitPattern: list.baseAddress)) && arguments[3] == 3 && arguments[4] == 0)
            }
            forced(-9)
            #expect(throws: Errno.badHandle) {
                try Syscall.spawn(address: VirtualAddress(0x5000), length: 5, handlesAt: VirtualAddress(0x6000), handleCount: 65)
            }
            #expect(last == RecordedCall(number: 7, arguments: [0x5000, 5, 0x6000, 65, 0, 0]))
            forced(3)
            #expect(try Syscall.spawn("hello") == 3)
            #expect(last?.arguments[2] == 0 && last?.arguments[3] == 0, "plain spawn gives no handles")
        }
    }
}

// The typed wrappers put each argument in the right register slot, and decode results the Linux
// way (-4095 ... -1 are errnos, everything else a value).
import MemoryCore
import Testing
@testable import UserSyscalls

extension FakeKernelSuite {
    @Suite("Syscall wrappers and result decoding")
    struct SyscallWrapperTests {
        init() { fakeKernel = FakeKernel() }

        @Test func resultDecodingBoundaries() throws {
            #expect(SyscallResult.errno(of: -1) == .notPermitted)
            #expect(SyscallResult.errno(of: -14) == .badAddress)
            #expect(SyscallResult.errno(of: -4095) == Errno(rawValue: 4095))
            #expect(SyscallResult.errno(of: -4096) == nil)
            #expect(SyscallResult.errno(of: 0) == nil)
            #expect(SyscallResult.errno(of: Int64.min) == nil)
            #expect(SyscallResult.errno(of: 0x80_0040_0000) == nil)
            #expect(try SyscallResult.value(of: 0x80_0040_0000) == 0x80_0040_0000)
            #expect(try SyscallResult.value(of: -4096) == UInt64(bitPattern: -4096))
            #expect(throws: Errno.invalidArgument) { try SyscallResult.value(of: -22) }
        }

        @Test func errnoValuesAndNamesMatchTheABI() {
            let table: [(Errno, Int32, String)] = [
                (.notPermitted, 1, "EPERM"), (.noSuchEntry, 2, "ENOENT"), (.outOfMemory, 12, "ENOMEM"),
                (.badAddress, 14, "EFAULT"), (.exists, 17, "EEXIST"), (.invalidArgument, 22, "EINVAL"),
                (.notImplemented, 38, "ENOSYS"),
            ]
            for (errno, raw, name) in table {
                #expect(errno.rawValue == raw)
                #expect(errno.name.description == name)
            }
            #expect(Errno(rawValue: 99).name.description == "E?")
        }

        @Test func numbersAndProtectionBitsMatchTheABI() {
            #expect(SyscallNumber.allCases.map(\.rawValue) == [0, 1, 2, 3, 4, 5, 6])
            #expect(Protection.read.rawValue == 1 && Protection.write.rawValue == 2 && Protection.execute.rawValue == 4)
            #expect(Protection.readWrite.rawValue == 3 && Protection.readExecute.rawValue == 5 && Protection.none.rawValue == 0)
        }

        @Test func writePassesBufferAndLength() throws {
            let text: StaticString = "line\n"
            let buffer = UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
            #expect(try Syscall.write(buffer) == 5)
            let address = UInt64(UInt(bitPattern: buffer.baseAddress))
            #expect(fakeKernel.calls.last == RecordedCall(number: 1, arguments: [address, 5, 0, 0, 0, 0]))
            #expect(fakeKernel.written == Array("line\n".utf8))
            #expect(throws: Errno.invalidArgument) { try Syscall.write(address: VirtualAddress(address), length: 4097) }
        }

        @Test func mapUnmapProtectBrkPassArgumentsInOrder() throws {
            let address = try Syscall.map(length: 8192, protection: .readWrite)
            #expect(fakeKernel.calls.last == RecordedCall(number: 2, arguments: [0, 8192, 3, 0, 0, 0]))
            fakeKernel.forcedResult = -17
            #expect(throws: Errno.exists) { try Syscall.map(hint: address, length: 4096, protection: .read) }
            #expect(fakeKernel.calls.last == RecordedCall(number: 2, arguments: [address.raw, 4096, 1, 0, 0, 0]))
            fakeKernel.forcedResult = 0
            try Syscall.protect(address: address, length: 4096, protection: .readExecute)
            #expect(fakeKernel.calls.last == RecordedCall(number: 6, arguments: [address.raw, 4096, 5, 0, 0, 0]))
            try Syscall.unmap(address: address, length: 8192)
            #expect(fakeKernel.calls.last == RecordedCall(number: 3, arguments: [address.raw, 8192, 0, 0, 0, 0]))
            #expect(fakeKernel.mappedPageCount == 0)
            fakeKernel.forcedResult = 0x80_0041_0000
            #expect(Syscall.currentBreak() == VirtualAddress(0x80_0041_0000))
            #expect(fakeKernel.calls.last == RecordedCall(number: 4, arguments: [0, 0, 0, 0, 0, 0]))
        }

        @Test func setBreakThrowsWhenTheKernelLeavesTheBreak() throws {
            fakeKernel.forcedResult = 0x80_0041_0000
            #expect(throws: Errno.outOfMemory) { try Syscall.setBreak(VirtualAddress(0x80_0042_0000)) }
            #expect(fakeKernel.calls.last == RecordedCall(number: 4, arguments: [0x80_0042_0000, 0, 0, 0, 0, 0]))
            fakeKernel.forcedResult = 0x80_0042_0000
            try Syscall.setBreak(VirtualAddress(0x80_0042_0000))
        }

        @Test func memstatDecodesTheRecordInABIOrder() throws {
            let stats = try Syscall.memstat()
            #expect(fakeKernel.calls.last?.number == 5)
            #expect(stats == MemoryStatistics(record: (1, 2, 3, 4, 5, 6, 7, 8)))
            #expect(stats.pagesMapped == 1 && stats.peakPagesMapped == 2 && stats.mapCalls == 3 && stats.unmapCalls == 4)
            #expect(stats.brkCalls == 5 && stats.breakStart == 6 && stats.breakCurrent == 7 && stats.freeFramesSystem == 8)
            #expect(MemoryLayout<MemoryStatistics.Record>.size == MemoryStatistics.recordBytes)
            fakeKernel.forcedResult = -14
            #expect(throws: Errno.badAddress) { try Syscall.memstat(into: VirtualAddress(0x10_0000)) }
        }

        @Test func userSpaceLayoutConstants() {
            #expect(UserSpace.contains(UserSpace.start) && !UserSpace.contains(UserSpace.end))
            #expect(UserSpace.contains(UserSpace.imageBase) && UserSpace.contains(VirtualAddress(UserSpace.stackEnd.raw - 1)))
            #expect(!UserSpace.contains(UserSpace.kernelAddress))
            #expect(UserSpace.pageRounded(1) == 4096 && UserSpace.pageRounded(4096) == 4096 && UserSpace.pageRounded(UInt64.max) == nil)
        }
    }
}

// Channels: an endpoint sent over its own channel, the same handle twice, too many handles or
// bytes, bad buffers, a full channel, a buffer too small, a closed peer; spawn with a bad handle.
import KernelLog

enum ChannelChecks {
    static func run(_ check: inout Checker, _ fixture: Fixture) {
        sends(&check, fixture)
        full(&check, fixture)
        peerClosed(&check, fixture)
        spawnWithBadHandles(&check, fixture)
    }

    static func sends(_ check: inout Checker, _ fixture: Fixture) {
        check.group("bad sends (EINVAL, EFAULT): nothing queued, no handle moved")
        refused(check, .invalidArgument, "an endpoint over its own channel") { () throws(Errno) in
            try WordMessage(1, handles: fixture.near).send(on: fixture.near)
        }
        refused(check, .invalidArgument, "its peer endpoint over it") { () throws(Errno) in
            try WordMessage(1, handles: fixture.far).send(on: fixture.near)
        }
        let extra = check.requireSuccess("a handle to send") { () throws(Errno) in
            try Syscall.handleDuplicate(fixture.object, rights: [.read, .map, .transfer])
        }
        refused(check, .invalidArgument, "the same handle twice") { () throws(Errno) in
            try WordMessage(1, handles: extra, extra).send(on: fixture.near)
        }
        refused(check, .invalidArgument, "five handles") { () throws(Errno) in
            let five: (UInt64, UInt64, UInt64, UInt64, UInt64) = (extra.raw, extra.raw, extra.raw, extra.raw, extra.raw)
            var bytes: UInt64 = 1
            var result: Result<Void, Errno> = .success(())
            withUnsafeBytes(of: five) { handles in
                withUnsafeBytes(of: &bytes) { message in
                    result = Result { () throws(Errno) in
                        try Syscall.channelSend(fixture.near, bytes: message, handles: handles.bindMemory(to: UInt64.self))
                    }
                }
            }
            try result.get()
        }
        refused(check, .invalidArgument, "257 bytes") { () throws(Errno) in
            try Syscall.channelSend(
                fixture.near, bytesAt: UserSpace.imageBase, length: 257, handlesAt: VirtualAddress(0), handleCount: 0)
        }
        refused(check, .badAddress, "bytes in kernel memory") { () throws(Errno) in
            try Syscall.channelSend(
                fixture.near, bytesAt: UserSpace.kernelAddress, length: 8, handlesAt: VirtualAddress(0), handleCount: 0)
        }
        refused(check, .badAddress, "handles in kernel memory") { () throws(Errno) in
            try Syscall.channelSend(
                fixture.near, bytesAt: UserSpace.imageBase, length: 8, handlesAt: UserSpace.kernelAddress, handleCount: 1)
        }
        refused(check, .badAddress, "receive into the read-only image") { () throws(Errno) in
            try WordMessage(5).send(on: fixture.near)
            _ = try Syscall.channelReceive(
                fixture.far, bufferAt: UserSpace.imageBase, capacity: 64, handlesAt: VirtualAddress(0), handleCapacity: 0,
                flags: 1)
        }
        let kept = check.requireSuccess("the message refused at receive stayed queued") { () throws(Errno) in
            try WordMessage.receive(on: fixture.far, nonblocking: true)
        }
        check.require(kept[0] == 5, "it is the same message")
        refused(check, .tryAgain, "nothing else queued (nonblocking receive)") { () throws(Errno) in
            _ = try WordMessage.receive(on: fixture.far, nonblocking: true)
        }
        check.requireSuccess("a message with a handle") { () throws(Errno) in
            try WordMessage(6, handles: extra).send(on: fixture.near)
        }
        refused(check, .badHandle, "the sent handle left the sender") { () throws(Errno) in try Syscall.handleClose(extra) }
        refused(check, .invalidArgument, "received with no room for its handle (it stays queued)") { () throws(Errno) in
            var word: UInt64 = 0
            var result: Result<ReceivedMessage, Errno> = .failure(.badAddress)
            withUnsafeMutableBytes(of: &word) { buffer in
                result = Result { () throws(Errno) in try Syscall.channelReceive(fixture.far, into: buffer, nonblocking: true) }
            }
            _ = try result.get()
        }
        let carried = check.requireSuccess("then received whole") { () throws(Errno) in
            try WordMessage.receive(on: fixture.far, nonblocking: true)
        }
        check.require(carried[0] == 6 && carried.handleCount == 1, "the word and the handle")
        check.requireSuccess("the handle arrived in this table: map and close it") { () throws(Errno) in
            guard let arrived = carried.handle(0) else { throw .badHandle }
            let view = try Syscall.objectMap(arrived, offset: 0, length: page, protection: .read)
            try Syscall.unmap(address: view, length: page)
            try Syscall.handleClose(arrived)
        }
    }

    static func full(_ check: inout Checker, _ fixture: Fixture) {
        check.group("a full channel (EAGAIN at 17), a buffer too small (EINVAL, message kept)")
        for index in 0 ..< 16 as Range<UInt64> {
            check.requireSuccess("16 messages fit") { () throws(Errno) in try WordMessage(100 + index).send(on: fixture.near) }
        }
        refused(check, .tryAgain, "the 17th") { () throws(Errno) in try WordMessage(116).send(on: fixture.near) }
        refused(check, .invalidArgument, "a 4-byte buffer for an 8-byte message") { () throws(Errno) in
            var small: UInt32 = 0
            var result: Result<ReceivedMessage, Errno> = .failure(.badAddress)
            withUnsafeMutableBytes(of: &small) { buffer in
                result = Result { () throws(Errno) in try Syscall.channelReceive(fixture.far, into: buffer, nonblocking: true) }
            }
            _ = try result.get()
        }
        for index in 0 ..< 16 as Range<UInt64> {
            let message = check.requireSuccess("16 messages come out") { () throws(Errno) in
                try WordMessage.receive(on: fixture.far, nonblocking: true)
            }
            check.require(message.count == 1 && message[0] == 100 + index, "in order, whole")
        }
        refused(check, .tryAgain, "then empty") { () throws(Errno) in
            _ = try WordMessage.receive(on: fixture.far, nonblocking: true)
        }
    }

    static func peerClosed(_ check: inout Checker, _ fixture: Fixture) {
        check.group("a closed peer (EPIPE once the queue is empty)")
        let (left, right) = check.requireSuccess("a channel, one message, close one end") { () throws(Errno) in
            let (left, right) = try Syscall.channelCreate()
            try WordMessage(77).send(on: left)
            try Syscall.handleClose(left)
            return (left, right)
        }
        refused(check, .badHandle, "the closed end is gone") { () throws(Errno) in try WordMessage(1).send(on: left) }
        let last = check.requireSuccess("the queued message still arrives") { () throws(Errno) in
            try WordMessage.receive(on: right)
        }
        check.require(last[0] == 77, "the message sent before the close")
        refused(check, .brokenPipe, "then receive says EPIPE (blocking: it must not wait)") { () throws(Errno) in
            _ = try WordMessage.receive(on: right)
        }
        refused(check, .brokenPipe, "send to the closed peer") { () throws(Errno) in try WordMessage(1).send(on: right) }
        check.requireSuccess("close the other end") { () throws(Errno) in try Syscall.handleClose(right) }
    }

    static func spawnWithBadHandles(_ check: inout Checker, _ fixture: Fixture) {
        check.group("spawn with a bad handle (EBADF): no child, no handle moved")
        let good = check.requireSuccess("a handle to give") { () throws(Errno) in
            try Syscall.handleDuplicate(fixture.object, rights: [.read, .map, .transfer])
        }
        let given: (UInt64, UInt64) = (good.raw, 0xDEAD_0001)
        refused(check, .badHandle, "one of two never given") { () throws(Errno) in
            _ = try withUnsafeBytes(of: given) { (bytes) throws(Errno) -> UInt64 in
                try Syscall.spawn("object_hostile_peer", handles: bytes.bindMemory(to: UInt64.self))
            }
        }
        refused(check, .noChild, "no child was started") { () throws(Errno) in _ = try Syscall.wait() }
        check.requireSuccess("the good handle stayed: close it") { () throws(Errno) in try Syscall.handleClose(good) }
    }
}

// Handles never given, closed, of another process; rights exceeded; the wrong kind; a full table.
import KernelLog

enum HandleChecks {
    static func run(_ check: inout Checker, _ fixture: Fixture) {
        neverGiven(&check, fixture)
        closed(&check, fixture)
        anotherProcess(&check, fixture)
        rights(&check, fixture)
        wrongKind(&check, fixture)
        fullTable(&check, fixture)
    }

    /// Values no slot of this process holds: 0, slots never used, a slot past the table, a
    /// generation never issued, all ones.
    static let neverGivenValues: [UInt64] = [
        0, 1 << 16 | 64, 1 << 16 | 65, 0xFFFF, 0x7FFF_0001, 0xFFFF_FFFF, UInt64.max, 1 << 63 | 1 << 16 | 1,
    ]

    static func neverGiven(_ check: inout Checker, _ fixture: Fixture) {
        check.group("handles never given (EBADF)")
        for value in neverGivenValues {
            let handle = HandleValue(raw: value)
            refused(check, .badHandle, "map") { () throws(Errno) in
                _ = try Syscall.objectMap(handle, offset: 0, length: page, protection: .read)
            }
            refused(check, .badHandle, "close") { () throws(Errno) in try Syscall.handleClose(handle) }
            refused(check, .badHandle, "duplicate") { () throws(Errno) in
                _ = try Syscall.handleDuplicate(handle, rights: [.read])
            }
            refused(check, .badHandle, "clone") { () throws(Errno) in
                _ = try Syscall.objectClone(handle, offset: 0, length: page)
            }
            refused(check, .badHandle, "commit") { () throws(Errno) in
                try Syscall.objectCommit(handle, offset: 0, length: page, operation: .commit)
            }
            refused(check, .badHandle, "send on it") { () throws(Errno) in try WordMessage(1).send(on: handle) }
            refused(check, .badHandle, "receive on it") { () throws(Errno) in
                _ = try WordMessage.receive(on: handle, nonblocking: true)
            }
            refused(check, .badHandle, "send it") { () throws(Errno) in
                try WordMessage(1, handles: handle).send(on: fixture.near)
            }
        }
    }

    static func closed(_ check: inout Checker, _ fixture: Fixture) {
        check.group("closed handles (EBADF; the slot's next handle has a new value)")
        let closed = check.requireSuccess("duplicate, close") { () throws(Errno) -> HandleValue in
            let handle = try Syscall.handleDuplicate(fixture.object, rights: [.read, .map])
            try Syscall.handleClose(handle)
            return handle
        }
        refused(check, .badHandle, "close twice") { () throws(Errno) in try Syscall.handleClose(closed) }
        refused(check, .badHandle, "map a closed handle") { () throws(Errno) in
            _ = try Syscall.objectMap(closed, offset: 0, length: page, protection: .read)
        }
        let reused = check.requireSuccess("duplicate again (the same slot)") { () throws(Errno) in
            try Syscall.handleDuplicate(fixture.object, rights: [.read, .map])
        }
        check.require(reused.raw != closed.raw && reused.raw & 0xFFFF == closed.raw & 0xFFFF, "same slot, another generation")
        refused(check, .badHandle, "the old value stays refused") { () throws(Errno) in
            _ = try Syscall.objectMap(closed, offset: 0, length: page, protection: .read)
        }
        check.requireSuccess("close the new one") { () throws(Errno) in try Syscall.handleClose(reused) }
    }

    /// object_hostile_peer gets one endpoint at spawn, then the values of this process's handles
    /// (none of which it holds): each must be EBADF there. It exits 0 when all were.
    static func anotherProcess(_ check: inout Checker, _ fixture: Fixture) {
        check.group("another process's handles (EBADF in object_hostile_peer)")
        let (mine, peerEnd) = check.requireSuccess("channel") { () throws(Errno) in try Syscall.channelCreate() }
        let extra = check.requireSuccess("a handle at a slot the peer never has") { () throws(Errno) in
            try Syscall.handleDuplicate(fixture.object, rights: [.read, .map])
        }
        let given: (UInt64, UInt64) = (peerEnd.raw, 0)
        let peer = check.requireSuccess("spawn object_hostile_peer with one handle") { () throws(Errno) in
            try withUnsafeBytes(of: given) { (bytes) throws(Errno) -> UInt64 in
                try Syscall.spawn(
                    "object_hostile_peer", handles: UnsafeBufferPointer(rebasing: bytes.bindMemory(to: UInt64.self)[0 ..< 1]))
            }
        }
        refused(check, .badHandle, "the handle given at spawn left this process") { () throws(Errno) in
            try Syscall.handleClose(peerEnd)
        }
        // Every value of ours the peer does not hold itself (it holds only 0x10001).
        var values = WordMessage()
        for handle in [fixture.object, fixture.near, fixture.far, mine, extra]
        where handle.raw != HandleValue.startup(index: 0).raw {
            values.append(handle.raw)
        }
        check.require(values.count >= 4, "at least four values to try")
        check.requireSuccess("send the values") { () throws(Errno) in try values.send(on: mine) }
        let answer = check.requireSuccess("the peer's answer") { () throws(Errno) in try WordMessage.receive(on: mine) }
        check.require(answer[0] == UInt64(values.count), "the peer was refused every value with EBADF")
        let (pid, status) = check.requireSuccess("wait for the peer") { () throws(Errno) in try Syscall.wait(for: peer) }
        check.require(pid == peer && status == .exited(code: 0), "the peer exited 0")
        check.requireSuccess("the handles still work here") { () throws(Errno) in
            let view = try Syscall.objectMap(extra, offset: 0, length: page, protection: .read)
            try Syscall.unmap(address: view, length: page)
            try Syscall.handleClose(extra)
            try Syscall.handleClose(mine)
        }
    }

    static func rights(_ check: inout Checker, _ fixture: Fixture) {
        check.group("rights exceeded (EACCES)")
        let readOnly = check.requireSuccess("duplicate read+map+duplicate") { () throws(Errno) in
            try Syscall.handleDuplicate(fixture.object, rights: [.read, .map, .duplicate])
        }
        let bare = check.requireSuccess("duplicate read only") { () throws(Errno) in
            try Syscall.handleDuplicate(readOnly, rights: [.read])
        }
        refused(check, .permissionDenied, "duplicate with more rights") { () throws(Errno) in
            _ = try Syscall.handleDuplicate(readOnly, rights: [.read, .write])
        }
        refused(check, .invalidArgument, "duplicate with a rights bit the ABI does not define") { () throws(Errno) in
            _ = try Syscall.handleDuplicate(fixture.object, rawRights: 32)
        }
        refused(check, .permissionDenied, "duplicate without the duplicate right") { () throws(Errno) in
            _ = try Syscall.handleDuplicate(bare, rights: [.read])
        }
        refused(check, .permissionDenied, "map writable with a read-only handle") { () throws(Errno) in
            _ = try Syscall.objectMap(readOnly, offset: 0, length: page, protection: .readWrite)
        }
        refused(check, .permissionDenied, "map executable") { () throws(Errno) in
            _ = try Syscall.objectMap(fixture.object, offset: 0, length: page, protection: .readExecute)
        }
        refused(check, .permissionDenied, "map without the map right") { () throws(Errno) in
            _ = try Syscall.objectMap(bare, offset: 0, length: page, protection: .read)
        }
        refused(check, .permissionDenied, "commit without the write right") { () throws(Errno) in
            try Syscall.objectCommit(readOnly, offset: 0, length: page, operation: .commit)
        }
        refused(check, .permissionDenied, "decommit without the write right") { () throws(Errno) in
            try Syscall.objectCommit(readOnly, offset: 0, length: page, operation: .decommit)
        }
        refused(check, .permissionDenied, "clone without the duplicate right") { () throws(Errno) in
            _ = try Syscall.objectClone(bare, offset: 0, length: page)
        }
        refused(check, .permissionDenied, "send a handle without the transfer right") { () throws(Errno) in
            try WordMessage(1, handles: readOnly).send(on: fixture.near)
        }
        let receiveOnly = check.requireSuccess("an endpoint with read only") { () throws(Errno) in
            try Syscall.handleDuplicate(fixture.near, rights: [.read])
        }
        let sendOnly = check.requireSuccess("an endpoint with write only") { () throws(Errno) in
            try Syscall.handleDuplicate(fixture.far, rights: [.write])
        }
        refused(check, .permissionDenied, "send without the write right") { () throws(Errno) in
            try WordMessage(1).send(on: receiveOnly)
        }
        refused(check, .permissionDenied, "receive without the read right") { () throws(Errno) in
            _ = try WordMessage.receive(on: sendOnly, nonblocking: true)
        }
        check.requireSuccess("the refused handles are still here") { () throws(Errno) in
            let view = try Syscall.objectMap(readOnly, offset: 0, length: page, protection: .read)
            try Syscall.unmap(address: view, length: page)
            for handle in [readOnly, bare, receiveOnly, sendOnly] { try Syscall.handleClose(handle) }
        }
    }

    static func wrongKind(_ check: inout Checker, _ fixture: Fixture) {
        check.group("the wrong kind of handle (EBADF)")
        refused(check, .badHandle, "map a channel") { () throws(Errno) in
            _ = try Syscall.objectMap(fixture.near, offset: 0, length: page, protection: .read)
        }
        refused(check, .badHandle, "commit a channel") { () throws(Errno) in
            try Syscall.objectCommit(fixture.near, offset: 0, length: page, operation: .commit)
        }
        refused(check, .badHandle, "clone a channel") { () throws(Errno) in
            _ = try Syscall.objectClone(fixture.near, offset: 0, length: page)
        }
        refused(check, .badHandle, "send on an object") { () throws(Errno) in try WordMessage(1).send(on: fixture.object) }
        refused(check, .badHandle, "receive on an object") { () throws(Errno) in
            _ = try WordMessage.receive(on: fixture.object, nonblocking: true)
        }
    }

    static func fullTable(_ check: inout Checker, _ fixture: Fixture) {
        check.group("a full handle table (EMFILE), then every slot back")
        var taken: [HandleValue] = []
        var last = Errno(rawValue: 0)
        while taken.count < 100 {
            do throws(Errno) {
                taken.append(try Syscall.handleDuplicate(fixture.object, rights: [.read]))
            } catch {
                last = error
                break
            }
        }
        check.require(last == .tooManyHandles, "duplicate until EMFILE")
        check.require(taken.count == 64 - 3, "64 slots: 3 held by the fixture")
        refused(check, .tooManyHandles, "channel_create with a full table") { () throws(Errno) in _ = try Syscall.channelCreate()
        }
        refused(check, .tooManyHandles, "object_create with a full table") { () throws(Errno) in
            _ = try Syscall.objectCreate(size: page)
        }
        check.requireSuccess("close them all") { () throws(Errno) in
            for handle in taken { try Syscall.handleClose(handle) }
        }
        check.requireSuccess("a slot is free again") { () throws(Errno) in
            try Syscall.handleClose(try Syscall.handleDuplicate(fixture.object, rights: [.read]))
        }
    }
}

// object_hostile: every bad input of the memory-object and channel calls, each of which must get
// exactly its errno (docs/syscalls.md, "Memory objects, handles and channels") and change
// nothing: handles never given, closed, or another process's (object_hostile_peer, spawned, tries
// this process's values); rights exceeded; the wrong kind of handle; ranges out of bounds,
// misaligned, wrapping or empty; a hint over an existing mapping; object_from_range over memory
// that is not private `map` memory; a channel's own endpoint sent over it, the same handle twice,
// too many handles or bytes; a full channel; a closed peer; a full handle table; spawn with a bad
// handle. After the refusals the object still holds its bytes and every handle still works.
// (Writing through a read-only mapping of a read-only handle is object_ro_write: killed.)
// Expected: exit=0 and an `object_hostile ok` line; else exit N = the first failed check, named
// on the console (Checker.swift).
import KernelLog

let page = UserSpace.pageBytes
let objectPages: UInt64 = 4
let objectBytes = objectPages * page

/// What every check group works on: one object of 4 pages mapped read-write and one channel.
struct Fixture {
    let object: HandleValue
    let view: VirtualAddress
    let near: HandleValue
    let far: HandleValue
    static let seed: UInt64 = 0x4057_11E

    /// Still as the setup left it: the bytes, the handles.
    func isIntact() -> Bool {
        guard MemoryProbe.holdsPattern(view, byteCount: objectBytes, seed: Self.seed) else { return false }
        guard let probe = try? Syscall.handleDuplicate(object, rights: [.read]) else { return false }
        guard (try? Syscall.handleClose(probe)) != nil else { return false }
        // The channel still carries a message both ways and holds nothing else.
        guard (try? WordMessage(42).send(on: near)) != nil, let echo = try? WordMessage.receive(on: far, nonblocking: true),
            echo[0] == 42
        else { return false }
        if let _ = try? WordMessage.receive(on: far, nonblocking: true) { return false }
        return true
    }
}

@_cdecl("user_main")
func userMain() -> Int32 {
    var check = Checker(program: "object_hostile")
    check.group("setup: an object mapped read-write, a channel")
    let fixture = check.requireSuccess("create, map, fill, channel") { () throws(Errno) -> Fixture in
        let object = try Syscall.objectCreate(size: objectBytes)
        let view = try Syscall.objectMap(object, offset: 0, length: objectBytes, protection: .readWrite)
        MemoryProbe.fill(view, byteCount: objectBytes, seed: Fixture.seed)
        let (near, far) = try Syscall.channelCreate()
        return Fixture(object: object, view: view, near: near, far: far)
    }
    check.require(fixture.isIntact(), "the fixture works")

    HandleChecks.run(&check, fixture)
    RangeChecks.run(&check, fixture)
    ChannelChecks.run(&check, fixture)

    check.group("nothing changed: the object's bytes, every handle")
    check.require(fixture.isIntact(), "the fixture is intact after every refusal")
    check.requireSuccess("unmap, close") { () throws(Errno) in
        try Syscall.unmap(address: fixture.view, length: objectBytes)
        try Syscall.handleClose(fixture.object)
        try Syscall.handleClose(fixture.near)
        try Syscall.handleClose(fixture.far)
    }
    Console.line("object_hostile").word("ok").dec("checks", Int(check.count)).phrase(
        "every_refusal", "right_errno_nothing_changed"
    )
    .end()
    return 0
}

/// A call that must fail with `expected`, inside the current check group.
func refused(_ check: Checker, _ expected: Errno, _ name: StaticString, _ call: () throws(Errno) -> Void) {
    check.requireErrno(expected, name, call)
}

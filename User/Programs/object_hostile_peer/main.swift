// object_hostile_peer: spawned by object_hostile with one channel endpoint (0x10001). Receives a
// message whose words are handle values of object_hostile's table (none of which this process
// holds) and tries each with map, duplicate, commit and close: every call must be EBADF (a handle
// is only meaningful in the table of the process it was given to). Answers with how many values
// were refused every time, and exits 0 when all were.
// Started at boot by itself it has no handles: it says so and exits 0.
// Expected: exit=0. Exit codes: 1 a call failed, 2 a value was accepted or got another errno.
import KernelLog

@_cdecl("user_main")
func userMain() -> Int32 {
    let channel = HandleValue.startup(index: 0)
    let values: WordMessage
    do throws(Errno) {
        values = try WordMessage.receive(on: channel)
    } catch {
        guard error == .badHandle else { return 1 }
        Console.line("object_hostile_peer").word("no-handles").phrase("note", "started_at_boot_not_by_object_hostile").end()
        return 0
    }
    var refusedEverywhere: UInt64 = 0
    for index in 0 ..< values.count {
        let foreign = HandleValue(raw: values[index])
        let outcomes: [Errno?] = [
            errno { () throws(Errno) in _ = try Syscall.objectMap(foreign, offset: 0, length: 4096, protection: .read) },
            errno { () throws(Errno) in _ = try Syscall.handleDuplicate(foreign, rights: [.read]) },
            errno { () throws(Errno) in try Syscall.objectCommit(foreign, offset: 0, length: 4096, operation: .commit) },
            errno { () throws(Errno) in try Syscall.handleClose(foreign) },
        ]
        if outcomes.allSatisfy({ $0 == .badHandle }) {
            refusedEverywhere += 1
        } else {
            Console.line("object_hostile_peer").word("ACCEPTED").hex("foreign_handle", foreign.raw).end()
        }
    }
    guard (try? WordMessage(refusedEverywhere).send(on: channel)) != nil else { return 1 }
    Console.line("object_hostile_peer").word(refusedEverywhere == UInt64(values.count) ? "ok" : "FAILED")
        .dec("foreign_values", values.count).dec("refused_ebadf", refusedEverywhere).end()
    return refusedEverywhere == UInt64(values.count) ? 0 : 2
}

/// The errno a call failed with, nil when it succeeded.
private func errno(_ call: () throws(Errno) -> Void) -> Errno? {
    do throws(Errno) {
        try call()
        return nil
    } catch { return error }
}

import MemoryCore
import Testing
@testable import UserMalloc
import TestSupport

/// Class 7 of issue 12: an overflow that forges a free-looking slot. Block A overflows into the
/// freed block B's link (pointing it at the live block C) and writes into C a free marker
/// computed with a guessed secret. A heap keyed with its own secret must report corruption
/// instead of handing C out a second time; only the true secret would forge it.
@Suite struct ForgedMarkerTests {
    final class Reports { var errors: [HeapError] = [] }

    /// Returns (second malloc handed out C again, errors reported).
    func forge(secret: UInt64, guessedSecret: UInt64) -> (Bool, [HeapError]) {
        let reports = Reports()
        var heap = UserHeap(source: FakePageSource(bufferBytes: 8 << 20), secret: secret) { reports.errors.append($0) }
        let a = heap.allocate(byteCount: 48)!, b = heap.allocate(byteCount: 48)!, c = heap.allocate(byteCount: 48)!
        #expect(b - a == 48 && c - b == 48)
        heap.free(b)
        // The overflow from A: one word past its end is B's free-list link.
        (a + 48).storeBytes(of: UInt64(UInt(bitPattern: c)), as: UInt64.self)
        // C's owner writes what a free slot would hold: link 0, marker from the guessed secret.
        c.storeBytes(of: UInt64(0), as: UInt64.self)
        (c + 8).storeBytes(of: guessedSecret ^ UInt64(UInt(bitPattern: c)) ^ 0xF8EE_5107_F8EE_5107, as: UInt64.self)
        let again = heap.allocate(byteCount: 48)  // B
        let twice = heap.allocate(byteCount: 48)  // C again, unless refused
        #expect(again == b)
        return (twice == c, reports.errors)
    }

    @Test func forgedSlotWithAWrongSecretIsRefused() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0 ..< 50 {
            let secret = generator.next() as UInt64
            let (handedOutTwice, errors) = forge(secret: secret, guessedSecret: 0x5357_4946_544D_4D21)
            #expect(!handedOutTwice)
            #expect(errors.count == 1)
            if case .corruptedFreeList? = errors.first {} else { Issue.record("expected corruptedFreeList, got \(errors)") }
        }
    }

    /// The check is the secret: whoever knows it forges the slot (why it must stay secret).
    @Test func theTrueSecretForgesIt() {
        let (handedOutTwice, errors) = forge(secret: 0x1234_5678_9ABC_DEF0, guessedSecret: 0x1234_5678_9ABC_DEF0)
        #expect(handedOutTwice && errors.isEmpty)
    }
}

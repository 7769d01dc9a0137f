// Small fixed messages for the programs that talk over channels: up to 8 UInt64 words and up to
// 4 handles (the ABI's limit), held inline. Word 0 is by convention the message's kind.

/// A message of `count` words and `handleCount` handles.
struct WordMessage {
    static let wordCapacity = 8
    static let handleCapacity = 4
    var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    var count = 0
    var handles: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    var handleCount = 0

    init() {}

    /// A message of the given words (at most 8) and handles (at most 4).
    init(_ words: UInt64..., handles: HandleValue...) {
        for word in words.prefix(Self.wordCapacity) { append(word) }
        for handle in handles.prefix(Self.handleCapacity) {
            withUnsafeMutableBytes(of: &self.handles) {
                $0.storeBytes(of: handle.raw, toByteOffset: handleCount * 8, as: UInt64.self)
            }
            handleCount += 1
        }
    }

    mutating func append(_ word: UInt64) {
        guard count < Self.wordCapacity else { return }
        withUnsafeMutableBytes(of: &words) { $0.storeBytes(of: word, toByteOffset: count * 8, as: UInt64.self) }
        count += 1
    }

    /// Word `index` (0 past the end).
    subscript(index: Int) -> UInt64 {
        guard index < count else { return 0 }
        return withUnsafeBytes(of: words) { $0.load(fromByteOffset: index * 8, as: UInt64.self) }
    }

    /// Handle `index` as received (nil past the end).
    func handle(_ index: Int) -> HandleValue? {
        guard index < handleCount else { return nil }
        return HandleValue(raw: withUnsafeBytes(of: handles) { $0.load(fromByteOffset: index * 8, as: UInt64.self) })
    }

    /// Sends the message on `channel` (its handles leave this process).
    func send(on channel: HandleValue) throws(Errno) {
        var copy = self
        var result: Result<Void, Errno> = .success(())
        withUnsafeBytes(of: &copy.words) { wordBytes in
            withUnsafeBytes(of: &copy.handles) { handleBytes in
                let handles = handleBytes.bindMemory(to: UInt64.self)
                result = Result { () throws(Errno) in
                    try Syscall.channelSend(
                        channel, bytes: UnsafeRawBufferPointer(rebasing: wordBytes[0 ..< count * 8]),
                        handles: UnsafeBufferPointer(rebasing: handles[0 ..< handleCount]))
                }
            }
        }
        try result.get()
    }

    /// The next message on `channel` (blocking unless `nonblocking`); a message of a length that
    /// is not whole words keeps its whole words only.
    static func receive(on channel: HandleValue, nonblocking: Bool = false) throws(Errno) -> WordMessage {
        var message = WordMessage()
        var result: Result<ReceivedMessage, Errno> = .failure(.invalidArgument)
        withUnsafeMutableBytes(of: &message.words) { wordBytes in
            withUnsafeMutableBytes(of: &message.handles) { handleBytes in
                result = Result { () throws(Errno) in
                    try Syscall.channelReceive(
                        channel, into: wordBytes, handles: handleBytes.bindMemory(to: UInt64.self), nonblocking: nonblocking)
                }
            }
        }
        let received = try result.get()
        message.count = Int(received.byteCount / 8)
        message.handleCount = Int(received.handleCount)
        return message
    }
}

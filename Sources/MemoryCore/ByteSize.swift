// Sizes in bytes, and the human-readable units the serial log prints beside raw numbers.

public let KiB: UInt64 = 1 << 10
public let MiB: UInt64 = 1 << 20
public let GiB: UInt64 = 1 << 30

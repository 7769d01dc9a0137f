// Buddy heap: see BuddyHeap.swift.

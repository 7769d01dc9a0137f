func runBuddyHeapScenarios() {}

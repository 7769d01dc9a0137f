func runUserMallocScenarios() {}

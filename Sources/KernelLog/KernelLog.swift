// KernelLog

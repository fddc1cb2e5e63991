import CProcess

/// Process-wide settings for a long-running server process.
public enum ServerProcess {
    /// Serves allocations of up to 8 MiB from the heap and keeps up to 64 MiB of freed heap,
    /// instead of glibc's adaptive default, which maps and unmaps buffers of a few hundred KiB
    /// (libcurl's, one set per URLSession task) on every call: two system calls and fresh
    /// zeroed pages each time (measured under POST /orders).
    public static func keepLargeBuffersOnTheHeap() {
        mallopt(M_MMAP_THRESHOLD, 8 << 20)
        mallopt(M_TRIM_THRESHOLD, 64 << 20)
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Process signal set-up shared by servers and supervisors.
public enum ProcessSignals {
    /// The signals that ask a process to stop.
    public static let termination: [Int32] = [SIGTERM, SIGINT]

    /// Blocks SIGTERM and SIGINT in the calling thread and every thread it creates later, so
    /// that only ``waitForTermination()`` receives them. Call first thing in `main`.
    public static func blockTermination() {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in termination { sigaddset(&set, signal) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
        // A peer that hangs up must not kill the process; writes fail with EPIPE instead.
        Glibc.signal(SIGPIPE, SIG_IGN)
    }

    /// Blocks until SIGTERM or SIGINT arrives; returns the signal number.
    public static func waitForTermination() -> Int32 {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in termination { sigaddset(&set, signal) }
        var received: Int32 = 0
        while sigwait(&set, &received) != 0 {}
        return received
    }

    /// The signal used to interrupt a thread blocked in `accept`.
    static let wake = SIGUSR1

    /// Installs a no-op handler for the wake signal without `SA_RESTART`, so a blocked
    /// `accept` returns `EINTR`. Must run before `FCGX_Init`, which installs its own handler
    /// only where none is set.
    static func installWakeHandler() {
        var action = sigaction()
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        action.__sigaction_handler.sa_handler = { _ in }
        sigaction(wake, &action, nil)
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Process signal set-up shared by servers and supervisors.
public enum ProcessSignals {
    /// The signals that ask a process to stop.
    public static let termination: [Int32] = [SIGTERM, SIGINT]

    /// The signal that asks a supervisor to reload (re-read settings, replace its workers).
    public static let reload = SIGHUP

    /// Sets the calling thread's mask to exactly SIGTERM, SIGINT and SIGHUP, so that they
    /// reach only ``waitForTermination()`` / ``wait(for:)`` and every thread created later
    /// inherits the same mask (a stray SIGHUP no longer kills a process). Call first thing in
    /// `main`.
    ///
    /// The mask is set, not added to: a parent that spawned this process from a thread with
    /// most signals blocked (a libdispatch worker, for one) would otherwise pass its mask on,
    /// and a blocked wake signal would leave accept threads asleep through shutdown.
    public static func blockTermination() {
        var set = signalSet(termination + [reload])
        // Failing here means the process cannot shut down cleanly; that is not recoverable.
        try! SystemCall.checkReturned("pthread_sigmask", "SIG_SETMASK") { pthread_sigmask(SIG_SETMASK, &set, nil) }
        // A peer that hangs up must not kill the process; writes fail with EPIPE instead.
        var ignore = sigaction()
        sigemptyset(&ignore.sa_mask)
        ignore.__sigaction_handler.sa_handler = SIG_IGN
        try! SystemCall.check("sigaction", "SIGPIPE") { sigaction(SIGPIPE, &ignore, nil) }
    }

    /// Blocks until SIGTERM or SIGINT arrives; returns the signal number.
    public static func waitForTermination() -> Int32 {
        wait(for: termination)
    }

    /// Blocks until one of `signals` (blocked by ``blockTermination()``) arrives; returns it.
    public static func wait(for signals: [Int32]) -> Int32 {
        var set = signalSet(signals)
        var received: Int32 = 0
        while sigwait(&set, &received) != 0 {}
        return received
    }

    /// The signal used to interrupt a thread blocked in `accept`.
    public static let wake = SIGUSR1

    /// Unblocks the wake signal in the calling thread.
    public static func unblockWake() throws(SystemCallError) {
        var set = signalSet([wake])
        try SystemCall.checkReturned("pthread_sigmask", "SIG_UNBLOCK SIGUSR1") { pthread_sigmask(SIG_UNBLOCK, &set, nil) }
    }

    /// Installs a no-op handler for the wake signal without `SA_RESTART`, so a blocked
    /// `accept` returns `EINTR`. Must run before `FCGX_Init`, which installs its own handler
    /// only where none is set.
    public static func installWakeHandler() throws(SystemCallError) {
        var action = sigaction()
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        action.__sigaction_handler.sa_handler = { _ in }
        try SystemCall.check("sigaction", "SIGUSR1") { sigaction(wake, &action, nil) }
    }

    private static func signalSet(_ signals: [Int32]) -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        return set
    }
}

/// A task executor that runs each job on the thread that enqueues it.
///
/// For a task that only bridges a blocking caller to one async call: it starts on the caller's
/// thread and resumes on whichever thread resumes its continuation, so no thread of the
/// concurrency pool (and no hand-off to one) is involved. Jobs must be short and never block.
final class InlineTaskExecutor: TaskExecutor {
    /// The one instance; it has no state.
    static let shared = InlineTaskExecutor()

    func enqueue(_ job: consuming ExecutorJob) {
        job.runSynchronously(on: asUnownedTaskExecutor())
    }
}

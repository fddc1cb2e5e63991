import FastCGI
import Foundation
import PaymentsApp
import ProcessSupervision

// Before any thread exists, so that only the main thread's sigwait sees SIGTERM/SIGINT.
ProcessSignals.blockTermination()
exit(PaymentsWorkerMain.run())

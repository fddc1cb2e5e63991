import Foundation
import ProcessSupervision
import Testing
import TestSupport

@Suite struct ProcessSchedulingTests {
    /// Workers are pinned only when they spread evenly over more than one CPU.
    @Test func pinsOnlyWhenTheWorkersDivideEvenlyOverTheCPUs() {
        #expect(ProcessScheduling.plan(workers: 2, allowed: [0, 1]) == [0, 1])
        #expect(ProcessScheduling.plan(workers: 4, allowed: [0, 1]) == [0, 1, 0, 1])
        #expect(ProcessScheduling.plan(workers: 2, allowed: [2, 5]) == [2, 5])
        #expect(ProcessScheduling.plan(workers: 3, allowed: [0, 1]) == nil)
        #expect(ProcessScheduling.plan(workers: 1, allowed: [0, 1]) == nil)
        #expect(ProcessScheduling.plan(workers: 2, allowed: Array(0..<8)) == nil)
        #expect(ProcessScheduling.plan(workers: 4, allowed: [0]) == nil)
    }

    @Test func readsTheSupervisorsAssignment() {
        let name = ProcessScheduling.assignmentVariable
        #expect(ProcessScheduling.assignedCPU(in: [name: "1"]) == 1)
        #expect(ProcessScheduling.assignedCPU(in: [:]) == nil)
        #expect(ProcessScheduling.assignedCPU(in: [name: "one"]) == nil)
        #expect(ProcessScheduling.assignedCPU(in: [name: "-1"]) == nil)
        #expect(ProcessScheduling.assignedCPU(in: [name: "4096"]) == nil)
    }

    /// The CPUs read through sched_getaffinity are the kernel's own list for this process.
    @Test func allowedCPUsMatchTheKernelsList() throws {
        let expected = try ProcStatus.allowedCPUs(of: getpid())
        #expect(!expected.isEmpty)
        #expect(try ProcessScheduling.allowedCPUs() == expected)
    }
}

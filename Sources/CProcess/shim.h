#ifndef CPROCESS_SHIM_H
#define CPROCESS_SHIM_H
// mallopt(3), for the server process's allocator settings (ServerProcess).
#include <malloc.h>
#include <stddef.h>
#include <sys/types.h>
// sched_setaffinity(2) and sched_getaffinity(2), for pinning worker processes to CPUs
// (ProcessScheduling). glibc declares them only under _GNU_SOURCE, which the system module is
// built without, so they are declared here under names of their own; the mask is an array of
// unsigned longs, one bit per CPU, as the kernel takes it.
int cprocess_sched_setaffinity(pid_t pid, size_t size, const unsigned long *mask) __asm__("sched_setaffinity");
int cprocess_sched_getaffinity(pid_t pid, size_t size, unsigned long *mask) __asm__("sched_getaffinity");
#endif

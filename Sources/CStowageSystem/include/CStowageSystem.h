#ifndef CSTOWAGESYSTEM_H
#define CSTOWAGESYSTEM_H

// System and C library calls the Swift Glibc module does not expose (they need _GNU_SOURCE or
// headers it leaves out).

// The open flag for writes that bypass the page cache (Linux O_DIRECT), or 0 where the
// platform has none.
int stowage_direct_io_flag(void);

// Lowers the calling thread's scheduling priority to `nice` (Linux: a thread's nice value is
// its own); returns 0, or -1 with errno set. Elsewhere a no-op returning 0.
int stowage_lower_thread_priority(int nice);

// Makes the C allocator serve allocations below `mmap_threshold` bytes from its heaps and keep
// up to `trim_threshold` free bytes there instead of returning them to the kernel (glibc's
// M_MMAP_THRESHOLD and M_TRIM_THRESHOLD). Returns 1 if both took effect, 0 otherwise (and
// elsewhere than glibc).
int stowage_keep_heap_memory(int mmap_threshold, int trim_threshold);

// For children started with posix_spawn (the tests' runs of programs): adds to `actions` the
// closing of every descriptor from `lowest` on and, unless `directory` is NULL, a change to it,
// both in the child. Returns 0, or an errno value. (glibc's _np calls, which need _GNU_SOURCE.)
#include <spawn.h>
int stowage_spawn_close_from_and_chdir(posix_spawn_file_actions_t *actions, int lowest, const char *directory);

#endif

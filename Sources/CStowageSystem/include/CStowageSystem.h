#ifndef CSTOWAGESYSTEM_H
#define CSTOWAGESYSTEM_H

// System calls the Swift Glibc module does not expose (they need _GNU_SOURCE).

// The open flag for writes that bypass the page cache (Linux O_DIRECT), or 0 where the
// platform has none.
int stowage_direct_io_flag(void);

// Lowers the calling thread's scheduling priority to `nice` (Linux: a thread's nice value is
// its own); returns 0, or -1 with errno set. Elsewhere a no-op returning 0.
int stowage_lower_thread_priority(int nice);

#endif

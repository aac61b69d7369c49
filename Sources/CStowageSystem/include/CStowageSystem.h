#ifndef CSTOWAGESYSTEM_H
#define CSTOWAGESYSTEM_H

// System calls the Swift Glibc module does not expose (they need _GNU_SOURCE).

// Opens an existing file for writing that bypasses the page cache (Linux O_DIRECT, close-on-
// exec); returns the descriptor, or -1 with errno set (EINVAL where the file system or the
// platform has no direct I/O).
int stowage_open_direct(const char *path);

// Lowers the calling thread's scheduling priority to `nice` (Linux: a thread's nice value is
// its own); returns 0, or -1 with errno set. Elsewhere a no-op returning 0.
int stowage_lower_thread_priority(int nice);

#endif

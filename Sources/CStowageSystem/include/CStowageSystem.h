#ifndef CSTOWAGESYSTEM_H
#define CSTOWAGESYSTEM_H

// System calls the Swift Glibc module does not expose (they need _GNU_SOURCE).

// Starts writeback of a file range without waiting (Linux sync_file_range with
// SYNC_FILE_RANGE_WRITE); returns 0, or -1 with errno set. Elsewhere a no-op returning 0.
int stowage_start_writeback(int fd, long long offset, long long length);

#endif

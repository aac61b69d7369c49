#define _GNU_SOURCE
#include "CStowageSystem.h"

#include <fcntl.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#if defined(__linux__)
#include <sys/resource.h>
#include <unistd.h>
#endif

int stowage_direct_io_flag(void) {
#if defined(__linux__)
    return O_DIRECT;
#else
    return 0;
#endif
}

int stowage_lower_thread_priority(int nice) {
#if defined(__linux__)
    return setpriority(PRIO_PROCESS, (id_t)gettid(), nice);
#else
    (void)nice;
    return 0;
#endif
}

int stowage_keep_heap_memory(int mmap_threshold, int trim_threshold) {
#if defined(__GLIBC__)
    return mallopt(M_MMAP_THRESHOLD, mmap_threshold) == 1 && mallopt(M_TRIM_THRESHOLD, trim_threshold) == 1;
#else
    (void)mmap_threshold;
    (void)trim_threshold;
    return 0;
#endif
}

int stowage_spawn_close_from_and_chdir(posix_spawn_file_actions_t *actions, int lowest, const char *directory) {
#if defined(__GLIBC__)
    int result = posix_spawn_file_actions_addclosefrom_np(actions, lowest);
    if (result == 0 && directory != NULL) {
        result = posix_spawn_file_actions_addchdir_np(actions, directory);
    }
    return result;
#else
    (void)actions;
    (void)lowest;
    (void)directory;
    return 0;
#endif
}

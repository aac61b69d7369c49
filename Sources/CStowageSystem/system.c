#define _GNU_SOURCE
#include "CStowageSystem.h"

#include <fcntl.h>
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

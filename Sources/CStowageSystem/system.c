#define _GNU_SOURCE
#include "CStowageSystem.h"

#include <errno.h>
#include <fcntl.h>
#if defined(__linux__)
#include <sys/resource.h>
#include <unistd.h>
#endif

int stowage_open_direct(const char *path) {
#if defined(__linux__)
    int fd;
    do {
        fd = open(path, O_WRONLY | O_DIRECT | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    return fd;
#else
    (void)path;
    errno = EINVAL;
    return -1;
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

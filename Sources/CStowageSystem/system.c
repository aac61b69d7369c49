#define _GNU_SOURCE
#include "CStowageSystem.h"

#include <errno.h>
#include <fcntl.h>

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

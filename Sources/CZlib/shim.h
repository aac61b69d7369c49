#include <zlib.h>

// deflateInit2 and inflateInit2 are macros, which Swift cannot call; these wrappers give them a
// callable form with the version and struct size zlib checks.
static inline int czlib_deflateInit2(z_streamp strm, int level, int method, int windowBits,
                                     int memLevel, int strategy) {
    return deflateInit2(strm, level, method, windowBits, memLevel, strategy);
}

static inline int czlib_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}

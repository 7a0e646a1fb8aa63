// libzstd 1.5 (Debian's libzstd-dev).
#include <zstd.h>
#include <zstd_errors.h>

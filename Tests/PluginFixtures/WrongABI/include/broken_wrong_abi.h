#ifndef BROKEN_WRONG_ABI_H
#define BROKEN_WRONG_ABI_H
#include "marketstream_plugin.h"
/* A deliberately broken plugin for the loader's tests: it was built for ABI version 99. */
int32_t marketstream_plugin_entry(uint32_t host_abi_version, ms_plugin_v1 *table);
#endif

#ifndef BROKEN_UNKNOWN_INPUT_H
#define BROKEN_UNKNOWN_INPUT_H
#include "marketstream_plugin.h"
/* A deliberately broken plugin for the loader's tests: it consumes a kind MarketStream does not know. */
int32_t marketstream_plugin_entry(uint32_t host_abi_version, ms_plugin_v1 *table);
#endif

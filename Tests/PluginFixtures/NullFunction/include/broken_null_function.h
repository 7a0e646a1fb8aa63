#ifndef BROKEN_NULL_FUNCTION_H
#define BROKEN_NULL_FUNCTION_H
#include "marketstream_plugin.h"
/* A deliberately broken plugin for the loader's tests: its process function pointer is null. */
int32_t marketstream_plugin_entry(uint32_t host_abi_version, ms_plugin_v1 *table);
#endif

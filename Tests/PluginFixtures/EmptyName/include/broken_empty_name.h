#ifndef BROKEN_EMPTY_NAME_H
#define BROKEN_EMPTY_NAME_H
#include "marketstream_plugin.h"
/* A deliberately broken plugin for the loader's tests: its name is empty. */
int32_t marketstream_plugin_entry(uint32_t host_abi_version, ms_plugin_v1 *table);
#endif

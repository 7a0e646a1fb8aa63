#ifndef BROKEN_NO_ENTRY_H
#define BROKEN_NO_ENTRY_H
#include "marketstream_plugin.h"
/* A deliberately broken plugin for the loader's tests: it exports its entry function under another name. */
int32_t not_the_entry_symbol(uint32_t host_abi_version, ms_plugin_v1 *table);
#endif

#ifndef FAILING_PLUGIN_H
#define FAILING_PLUGIN_H
#include "marketstream_plugin.h"
/* A valid plugin that fails on purpose, for the host's failure-isolation tests. */
int32_t marketstream_plugin_entry(uint32_t host_abi_version, ms_plugin_v1 *table);
#endif

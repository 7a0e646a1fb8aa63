#include "marketstream_plugin.h"

uint32_t ms_plugin_abi_version(void) { return MS_PLUGIN_ABI_VERSION; }

/* A deliberately broken plugin for the loader's tests: it consumes a kind MarketStream does not know. */
#include "broken_unknown_input.h"
#include "plugin_fixture_support.h"

static const char *const bogus[] = {"bogus"};

int32_t marketstream_plugin_entry(uint32_t host_abi_version, ms_plugin_v1 *table) {
    (void)host_abi_version;
    fixture_fill(table, "Broken", bogus);
    return MS_OK;
}

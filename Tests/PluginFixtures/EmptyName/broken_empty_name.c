/* A deliberately broken plugin for the loader's tests: its name is empty. */
#include "broken_empty_name.h"
#include "plugin_fixture_support.h"

static const char *const trade[] = {"trade"};

int32_t marketstream_plugin_entry(uint32_t host_abi_version, ms_plugin_v1 *table) {
    (void)host_abi_version;
    fixture_fill(table, "", trade);
    return MS_OK;
}

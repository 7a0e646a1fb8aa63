/* A deliberately broken plugin for the loader's tests: it was built for ABI version 99. */
#include "broken_wrong_abi.h"
#include "plugin_fixture_support.h"

static const char *const trade[] = {"trade"};

int32_t marketstream_plugin_entry(uint32_t host_abi_version, ms_plugin_v1 *table) {
    (void)host_abi_version;
    fixture_fill(table, "Broken", trade);
    table->abi_version = 99u;
    return MS_OK;
}

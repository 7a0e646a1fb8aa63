/* A deliberately broken plugin for the loader's tests: it exports its entry function under another name. */
#include "broken_no_entry.h"
#include "plugin_fixture_support.h"

static const char *const trade[] = {"trade"};

int32_t not_the_entry_symbol(uint32_t host_abi_version, ms_plugin_v1 *table) {
    (void)host_abi_version;
    fixture_fill(table, "Broken", trade);
    return MS_OK;
}

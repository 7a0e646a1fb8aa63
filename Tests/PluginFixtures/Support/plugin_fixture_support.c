/* A valid, do-nothing plugin table that the loader's broken fixtures start from. */
#include "plugin_fixture_support.h"

static void *create(void *context, const char *exchange, const char *market) {
    (void)context; (void)exchange; (void)market;
    return NULL;
}

static void destroy(void *context, void *instance) { (void)context; (void)instance; }

static int32_t process(void *context, void *instance, const ms_event *event, ms_emit_fn emit, void *sink) {
    (void)context; (void)instance; (void)event; (void)emit; (void)sink;
    return MS_OK;
}

static const char *last_error(void *context, void *instance) {
    (void)context; (void)instance;
    return "broken";
}

void fixture_fill(ms_plugin_v1 *table, const char *name, const char *const *consumed) {
    table->abi_version = MS_PLUGIN_ABI_VERSION;
    table->struct_size = sizeof *table;
    table->name = name;
    table->version = "0.0.1";
    table->produced_kind = "broken";
    table->consumed_kinds = consumed;
    table->consumed_kind_count = 1;
    table->context = NULL;
    table->create = create;
    table->destroy = destroy;
    table->process = process;
    table->last_error = last_error;
}

/* A deliberately broken plugin for the loader's tests: it was built for ABI version 99. */
#include "broken_wrong_abi.h"

static const char *const consumed[] = {"trade"};
static void *create(void *context, const char *exchange, const char *market) {
    (void)context; (void)exchange; (void)market;
    return NULL;
}
static void destroy(void *context, void *instance) { (void)context; (void)instance; }
static int32_t process(void *context, void *instance, const ms_event *event, ms_emit_fn emit, void *sink) {
    (void)context; (void)instance; (void)event; (void)emit; (void)sink;
    return MS_OK;
}
static const char *last_error(void *context, void *instance) { (void)context; (void)instance; return "broken"; }

int32_t marketstream_plugin_entry(uint32_t host_abi_version, ms_plugin_v1 *table) {
    (void)host_abi_version;
    table->abi_version = 99u;
    table->struct_size = sizeof *table;
    table->name = "Broken";
    table->version = "0.0.1";
    table->produced_kind = "broken";
    table->consumed_kinds = consumed;
    table->consumed_kind_count = 1;
    table->create = create;
    table->destroy = destroy;
    table->process = process;
    table->last_error = last_error;
    return MS_OK;
}

/*
 * A valid plugin that fails on purpose, for the host's failure-isolation tests.
 * Produces "failing" from "trade": create refuses the market KRW-FAIL; process emits the trade's
 * volume when it is below 100 and fails otherwise, and emits an invalid field name for volume 7.
 */
#include "failing_plugin.h"

#include <stdlib.h>
#include <string.h>

static const char *const consumed[] = {"trade"};
static const char *create_error = "";

typedef struct instance { const char *error; } instance;

static void *create(void *context, const char *exchange, const char *market) {
    (void)context; (void)exchange;
    if (strcmp(market, "KRW-FAIL") == 0) {
        create_error = "this plugin refuses KRW-FAIL";
        return NULL;
    }
    return calloc(1, sizeof(instance));
}

static void destroy(void *context, void *opaque) { (void)context; free(opaque); }

static int32_t process(void *context, void *opaque, const ms_event *event, ms_emit_fn emit, void *sink) {
    (void)context;
    instance *self = opaque;
    const ms_trade *trade = event->payload;
    if (trade->volume.high != 0 || trade->volume.exponent != 0 || trade->volume.low >= 100) {
        self->error = "volume 100 or more (or not an integer) refused";
        return MS_ERR_FAILED;
    }
    ms_field field = {trade->volume.low == 7 ? "bad name!" : "volume", trade->volume};
    return emit(sink, &field, 1) == MS_OK ? MS_OK : MS_ERR_FAILED;
}

static const char *last_error(void *context, void *opaque) {
    (void)context;
    return opaque ? ((instance *)opaque)->error : create_error;
}

int32_t marketstream_plugin_entry(uint32_t host_abi_version, ms_plugin_v1 *table) {
    table->abi_version = MS_PLUGIN_ABI_VERSION;
    if (host_abi_version != MS_PLUGIN_ABI_VERSION) return MS_ERR_ABI_MISMATCH;
    table->struct_size = sizeof *table;
    table->name = "Failing";
    table->version = "0.0.1";
    table->produced_kind = "failing";
    table->consumed_kinds = consumed;
    table->consumed_kind_count = 1;
    table->create = create;
    table->destroy = destroy;
    table->process = process;
    table->last_error = last_error;
    return MS_OK;
}

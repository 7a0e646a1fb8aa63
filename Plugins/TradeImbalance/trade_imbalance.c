/*
 * TradeImbalance: a MarketStream data-type plugin in plain C.
 *
 * Produces "imbalance" from "trade": the taker buy volume and sell volume over the trades of the
 * last 60 seconds (by trade time), and imbalance = (buy - sell) / (buy + sell), from -1 to 1,
 * rounded toward zero to 6 decimals. Volumes are summed exactly as 128-bit integers scaled by
 * 10^-16; a volume with more than 16 decimals is refused (the event is skipped and counted)
 * rather than rounded.
 */
#include "trade_imbalance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW_MS 60000
#define VOLUME_EXPONENT (-16)
#define IMBALANCE_EXPONENT (-6)

typedef __int128 i128;

typedef struct fill {
    int64_t time_ms;
    i128 volume; /* scaled by 10^-16 */
    int is_buy;
} fill;

typedef struct instance {
    fill *fills; /* ring buffer */
    size_t capacity, head, count;
    i128 buy, sell;
    char error[256];
} instance;

static char create_error[256];

static const char *const consumed[] = {"trade"};

static int to_scaled(ms_decimal value, i128 *out) {
    i128 v = (i128)(((unsigned __int128)(uint64_t)value.high << 64) | value.low);
    int32_t shift = value.exponent - VOLUME_EXPONENT;
    if (shift < 0 || shift > 30) return 0;
    for (int32_t i = 0; i < shift; i++) v *= 10;
    *out = v;
    return 1;
}

static ms_decimal from_scaled(i128 v, int32_t exponent) {
    ms_decimal d;
    d.low = (uint64_t)v;
    d.high = (int64_t)(v >> 64);
    d.exponent = exponent;
    d.reserved = 0;
    return d;
}

static void *create(void *context, const char *exchange, const char *market) {
    (void)context;
    if (exchange == NULL || market == NULL) {
        snprintf(create_error, sizeof create_error, "create needs an exchange and a market");
        return NULL;
    }
    instance *self = calloc(1, sizeof *self);
    if (self == NULL) {
        snprintf(create_error, sizeof create_error, "out of memory creating the state for %s", market);
        return NULL;
    }
    return self;
}

static void destroy(void *context, void *opaque) {
    (void)context;
    instance *self = opaque;
    if (self == NULL) return;
    free(self->fills);
    free(self);
}

static int push(instance *self, fill value) {
    if (self->count == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 64;
        fill *grown = malloc(capacity * sizeof *grown);
        if (grown == NULL) return 0;
        for (size_t i = 0; i < self->count; i++) grown[i] = self->fills[(self->head + i) % self->capacity];
        free(self->fills);
        self->fills = grown;
        self->capacity = capacity;
        self->head = 0;
    }
    self->fills[(self->head + self->count) % self->capacity] = value;
    self->count++;
    return 1;
}

static int32_t process(void *context, void *opaque, const ms_event *event, ms_emit_fn emit, void *sink) {
    (void)context;
    instance *self = opaque;
    if (self == NULL || event == NULL || emit == NULL) return MS_ERR_BAD_ARGUMENT;
    if (event->kind != MS_KIND_TRADE || event->payload == NULL) return MS_OK;
    const ms_trade *trade = event->payload;
    fill next = {trade->trade_timestamp_ms, 0, trade->side == MS_SIDE_BID};
    if (!to_scaled(trade->volume, &next.volume) || next.volume < 0) {
        snprintf(self->error, sizeof self->error, "trade volume with exponent %d is not representable in 16 decimals",
                 (int)trade->volume.exponent);
        return MS_ERR_FAILED;
    }
    if (!push(self, next)) {
        snprintf(self->error, sizeof self->error, "out of memory");
        return MS_ERR_FAILED;
    }
    if (next.is_buy) self->buy += next.volume; else self->sell += next.volume;
    while (self->count > 0) {
        fill *oldest = &self->fills[self->head];
        if (oldest->time_ms > next.time_ms - WINDOW_MS) break;
        if (oldest->is_buy) self->buy -= oldest->volume; else self->sell -= oldest->volume;
        self->head = (self->head + 1) % self->capacity;
        self->count--;
    }
    i128 total = self->buy + self->sell;
    i128 imbalance = 0;
    if (total > 0) imbalance = (self->buy - self->sell) * 1000000 / total;
    ms_field fields[4] = {
        {"buy_volume", from_scaled(self->buy, VOLUME_EXPONENT)},
        {"sell_volume", from_scaled(self->sell, VOLUME_EXPONENT)},
        {"imbalance", from_scaled(imbalance, IMBALANCE_EXPONENT)},
        {"trades", from_scaled((i128)self->count, 0)},
    };
    return emit(sink, fields, 4) == MS_OK ? MS_OK : MS_ERR_FAILED;
}

static const char *last_error(void *context, void *opaque) {
    (void)context;
    if (opaque == NULL) return create_error;
    instance *self = opaque;
    return self->error;
}

int32_t marketstream_plugin_entry(uint32_t host_abi_version, ms_plugin_v1 *table) {
    if (table == NULL) return MS_ERR_BAD_ARGUMENT;
    table->abi_version = MS_PLUGIN_ABI_VERSION;
    if (host_abi_version != MS_PLUGIN_ABI_VERSION) return MS_ERR_ABI_MISMATCH;
    table->struct_size = sizeof *table;
    table->name = "TradeImbalance";
    table->version = "1.0.0";
    table->produced_kind = "imbalance";
    table->consumed_kinds = consumed;
    table->consumed_kind_count = 1;
    table->context = NULL;
    table->create = create;
    table->destroy = destroy;
    table->process = process;
    table->last_error = last_error;
    return MS_OK;
}

/*===----------------------------------------------------------------------===//
 * MarketStream data-type plugin ABI, version 1.
 *
 * A plugin is a shared library (.so) that derives one data kind from built-in kinds: a spread
 * from order books, a VWAP from trades. MarketStream opens it with
 * dlopen(RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE), looks up MS_PLUGIN_ENTRY_SYMBOL and calls it
 * once to fill an ms_plugin_v1 table. Only the C types below cross the boundary.
 *
 * VERSIONING
 *   MS_PLUGIN_ABI_VERSION changes whenever any type or rule in this header changes in a way
 *   that an already compiled plugin or host could misread. The host accepts exactly its own
 *   version: a plugin built against another version is refused with both numbers in the error.
 *   The entry function must write table->abi_version first, before anything else, and return
 *   MS_ERR_ABI_MISMATCH when it cannot serve host_abi_version. table->struct_size is
 *   sizeof(ms_plugin_v1) as the plugin was compiled; the host refuses a smaller table.
 *
 * MEMORY OWNERSHIP
 *   - Strings in the table (name, version, produced_kind, consumed_kinds) are owned by the
 *     plugin and must stay valid as long as the library is loaded (string literals are ideal).
 *     A loaded library is never unloaded.
 *   - Everything the host passes to a call (exchange and market names, the event, its
 *     payload, order book units) is owned by the host and valid only during that call.
 *   - Fields passed to emit are copied by the host before emit returns, names included.
 *   - An instance returned by create is owned by the plugin and released by destroy.
 *   - The string returned by last_error is owned by the plugin and must stay valid until the
 *     next call on the same instance (or, for create failures, the next create).
 *
 * THREADING
 *   - Calls on one instance (process, last_error, destroy) never overlap: the host serialises
 *     them, although successive calls may come from different threads.
 *   - Calls on different instances may run concurrently on different threads.
 *   - create (and last_error with a NULL instance right after a failed create) is serialised
 *     per loaded plugin.
 *   - process must not block: it runs on a connection's read path.
 *
 * ERRORS
 *   - create returns NULL on failure; last_error(context, NULL) then describes why.
 *   - process returns MS_OK, or a negative value on failure; last_error(context, instance) then
 *     describes why. The host skips that event, counts the failure and carries on: a failing
 *     plugin never affects other subscribers or handlers.
 *
 * NUMBERS
 *   Prices, sizes and volumes are exact decimals, never floating point:
 *   value = (high * 2^64 + low) * 10^exponent, a two's-complement 128-bit significand.
 *===----------------------------------------------------------------------===*/

#ifndef MARKETSTREAM_PLUGIN_H
#define MARKETSTREAM_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version this header describes. */
#define MS_PLUGIN_ABI_VERSION 1u
/* The name of the function every plugin exports (see ms_plugin_entry_fn). */
#define MS_PLUGIN_ENTRY_SYMBOL "marketstream_plugin_entry"

/* Return codes. */
#define MS_OK 0
#define MS_ERR_ABI_MISMATCH (-1)
#define MS_ERR_BAD_ARGUMENT (-2)
#define MS_ERR_FAILED (-3)

/* ms_event.kind: the family of the input event. */
#define MS_KIND_TICKER 1u
#define MS_KIND_TRADE 2u
#define MS_KIND_ORDERBOOK 3u
#define MS_KIND_CANDLE 4u

/* ms_event.stream. */
#define MS_STREAM_SNAPSHOT 1u
#define MS_STREAM_REALTIME 2u

/* ms_trade.side: the taker's side. */
#define MS_SIDE_ASK 1u /* a sell */
#define MS_SIDE_BID 2u /* a buy */

/* An exact decimal: (high * 2^64 + low) * 10^exponent. `reserved` is zero. */
typedef struct ms_decimal {
    uint64_t low;
    int64_t high;
    int32_t exponent;
    int32_t reserved;
} ms_decimal;

/* Current price and 24-hour statistics. */
typedef struct ms_ticker {
    ms_decimal trade_price;
    ms_decimal opening_price;
    ms_decimal high_price;
    ms_decimal low_price;
    ms_decimal prev_closing_price;
    ms_decimal signed_change_rate;
    ms_decimal trade_volume;
    ms_decimal acc_trade_volume_24h;
    ms_decimal acc_trade_price_24h;
    int64_t trade_timestamp_ms;
} ms_ticker;

/* One fill. */
typedef struct ms_trade {
    ms_decimal price;
    ms_decimal volume;
    uint32_t side; /* MS_SIDE_ASK or MS_SIDE_BID */
    uint32_t reserved;
    int64_t trade_timestamp_ms;
    int64_t sequential_id;
} ms_trade;

/* One price level of an order book. */
typedef struct ms_orderbook_unit {
    ms_decimal ask_price;
    ms_decimal bid_price;
    ms_decimal ask_size;
    ms_decimal bid_size;
} ms_orderbook_unit;

/* An order book, best level first. */
typedef struct ms_orderbook {
    const ms_orderbook_unit *units;
    size_t unit_count;
    ms_decimal total_ask_size;
    ms_decimal total_bid_size;
    ms_decimal level; /* price grouping unit; zero when none */
} ms_orderbook;

/* One candle. */
typedef struct ms_candle {
    ms_decimal opening_price;
    ms_decimal high_price;
    ms_decimal low_price;
    ms_decimal trade_price; /* the close */
    ms_decimal acc_trade_volume;
    ms_decimal acc_trade_price;
} ms_candle;

/* One input event, for the market the instance was created for. */
typedef struct ms_event {
    uint32_t kind;          /* MS_KIND_* */
    uint32_t stream;        /* MS_STREAM_* */
    int64_t timestamp_ms;   /* the exchange's timestamp */
    int64_t received_at_ms; /* when MarketStream received it */
    const char *kind_name;  /* the full kind, e.g. "orderbook.15" or "candle.1m" */
    const void *payload;    /* const ms_ticker*, ms_trade*, ms_orderbook* or ms_candle* by kind */
} ms_event;

/* One named output field. */
typedef struct ms_field {
    const char *name; /* NUL-terminated; letters, digits, '_' */
    ms_decimal value;
} ms_field;

/* Emits one output event made of `count` fields, in order. Returns MS_OK, or MS_ERR_BAD_ARGUMENT
 * for a NULL or empty name or a value out of range (the host then drops that output). */
typedef int32_t (*ms_emit_fn)(void *sink, const ms_field *fields, size_t count);

/* The table a plugin fills. */
typedef struct ms_plugin_v1 {
    uint32_t abi_version; /* MS_PLUGIN_ABI_VERSION as the plugin was compiled; written first */
    uint32_t struct_size; /* sizeof(ms_plugin_v1) as the plugin was compiled */
    const char *name;     /* e.g. "Spread"; not empty */
    const char *version;  /* e.g. "1.0.0"; not empty */
    const char *produced_kind;         /* e.g. "spread": not a built-in kind name */
    const char *const *consumed_kinds; /* built-in kinds: "ticker", "trade", "orderbook", "candle.1m", ... */
    size_t consumed_kind_count;        /* at least 1 */
    void *context;                     /* passed back to every call; may be NULL */

    /* Creates the state for one market ("KRW-BTC") of one exchange ("upbit"). NULL on failure. */
    void *(*create)(void *context, const char *exchange, const char *market);
    /* Releases an instance. */
    void (*destroy)(void *context, void *instance);
    /* Turns one event into zero or more outputs, each through one emit(sink, ...) call. */
    int32_t (*process)(void *context, void *instance, const ms_event *event, ms_emit_fn emit, void *sink);
    /* Describes the last failure of `instance`, or of create when `instance` is NULL. May return NULL. */
    const char *(*last_error)(void *context, void *instance);
} ms_plugin_v1;

/* The exported entry point, named MS_PLUGIN_ENTRY_SYMBOL. The host passes a zeroed table. */
typedef int32_t (*ms_plugin_entry_fn)(uint32_t host_abi_version, ms_plugin_v1 *table);

/* The ABI version this header was compiled with (for hosts and tools linking the ABI target). */
uint32_t ms_plugin_abi_version(void);

#ifdef __cplusplus
}
#endif

#endif /* MARKETSTREAM_PLUGIN_H */

#ifndef CSQLITE_SHIM_H
#define CSQLITE_SHIM_H
#include <sqlite3.h>

/// sqlite3_config is variadic, which Swift cannot call: this sets SQLITE_CONFIG_PAGECACHE with
/// no memory pool and no initial bulk, so each connection's page cache allocates its pages one
/// by one. Only before SQLite initializes (the first connection opened); else SQLITE_MISUSE.
static inline int csqlite_config_page_cache_without_bulk(void) {
    return sqlite3_config(SQLITE_CONFIG_PAGECACHE, (void *)0, 0, 0);
}
#endif

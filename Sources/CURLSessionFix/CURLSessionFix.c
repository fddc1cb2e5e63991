// FoundationNetworking (swift-corelibs-foundation) drives libcurl's multi interface with one
// libdispatch source per socket and direction. On a new connection libcurl first asks to watch
// the socket for writing (CURL_POLL_OUT, while connecting) and then for reading only
// (CURL_POLL_IN, once the request is on its way). FoundationNetworking creates the read source
// but never cancels the write source; it cancels both only when libcurl removes the socket after
// the answer. A connected socket is always writable, so until the first answer on a connection
// arrives the write source fires without pause and each firing runs curl_multi_socket_action on
// a dispatch thread: a busy loop for the whole wait (about 5,800 socket actions in 300 ms).
// Measured under `POST /orders` with Dintero answering in 300 ms: 12-21 ms of worker CPU per
// create instead of 1.3 ms. A shop with little traffic, whose connections to Dintero time out
// between orders, would pay that on nearly every call.
//
// This file interposes curl_multi_setopt (the executable exports it, so it is found before
// libcurl's) to wrap the socket callback FoundationNetworking installs. When libcurl stops
// wanting write readiness on a socket (after a connect, the only time it asks for it here),
// the wrapper first reports the socket removed, which makes FoundationNetworking cancel both
// sources, and then reports what libcurl wants now, which makes it create only those (it
// already handles a remove followed by a register on one socket). That costs one source
// re-creation per new connection. Everything else passes through unchanged.
//
// Second, memory: FoundationNetworking leaves libcurl's per-transfer buffers at their defaults,
// a 16 KiB receive buffer and a 64 KiB upload buffer (7.88), held for the whole transfer. A
// worker with a thousand creates waiting on Dintero held ~75 KB of them per create, half its
// heap, for request and answer documents of a few hundred bytes to a few KB. So before a
// transfer starts (curl_multi_add_handle, also interposed), its easy handle gets the smallest
// receive buffer libcurl allows, 1 KiB (a longer answer takes several reads; Dintero's are a
// few hundred bytes to a few KB), and the smallest upload buffer, 16 KiB.
//
// Third, the upload buffer outlives the upload: libcurl allocates it when it starts sending a
// request body and frees it only with the easy handle, so a create holds 16 KiB through the
// whole wait for Dintero's answer for a body sent in the first millisecond (measured with 1,024
// creates in flight: 8.5 MB a worker, a third of its heap). The fix keeps the transfers that
// have not finished sending their body on a short list, and after each socket action
// (curl_multi_socket_action, interposed; libcurl is not running then) asks libcurl about them:
// one whose whole body went out (bytes sent = its known upload size) gets its upload buffer size
// set again, which frees the buffer (libcurl allocates another if it ever sends again, e.g. a
// retried request); one that answered without sending a body, or is removed or freed
// (curl_multi_remove_handle, curl_easy_cleanup, also interposed), leaves the list.
//
// URLSESSION_SOCKET_FIX=0 passes all through. curl_multi_socket_action also counts events
// (tests and `make bench` read the counts). No HTTP is done here: URLSession still makes every
// call.
#define _GNU_SOURCE
#include "CURLSessionFix.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

// From <curl/multi.h> (part of libcurl's stable ABI), so no libcurl development package is needed.
typedef void CURLM;
typedef void CURL;
typedef int curl_socket_t;
typedef int CURLMcode;
typedef long long curl_off_t;
enum { CURLM_OK = 0, CURLM_OUT_OF_MEMORY = 3, CURLM_INTERNAL_ERROR = 4 };
enum { OPTION_OBJECTPOINT = 10000, OPTION_FUNCTIONPOINT = 20000, OPTION_OFF_T = 30000 };
enum { CURLMOPT_SOCKETFUNCTION = OPTION_FUNCTIONPOINT + 1, CURLMOPT_SOCKETDATA = OPTION_OBJECTPOINT + 2 };
enum { CURLOPT_BUFFERSIZE = 98, CURLOPT_UPLOAD_BUFFERSIZE = 280 };
enum { CURLINFO_RESPONSE_CODE = 0x200000 + 2, CURLINFO_SIZE_UPLOAD_T = 0x600000 + 7, CURLINFO_CONTENT_LENGTH_UPLOAD_T = 0x600000 + 16 };
enum { TRANSFER_RECEIVE_BUFFER = 1024, TRANSFER_UPLOAD_BUFFER = 16384 };
enum { CURL_POLL_NONE = 0, CURL_POLL_IN = 1, CURL_POLL_OUT = 2, CURL_POLL_INOUT = 3, CURL_POLL_REMOVE = 4 };

typedef int (*socket_callback)(CURL *easy, curl_socket_t socket, int what, void *userp, void *socketp);
typedef CURLMcode (*setopt_function)(CURLM *multi, int option, ...);
typedef CURLMcode (*assign_function)(CURLM *multi, curl_socket_t socket, void *socketp);
typedef CURLMcode (*action_function)(CURLM *multi, curl_socket_t socket, int events, int *running);
typedef CURLMcode (*cleanup_function)(CURLM *multi);
typedef CURLMcode (*add_function)(CURLM *multi, CURL *easy);
typedef int (*easy_setopt_function)(CURL *easy, int option, ...);
typedef int (*easy_getinfo_function)(CURL *easy, int info, ...);
typedef CURLMcode (*remove_function)(CURLM *multi, CURL *easy);
typedef void (*easy_cleanup_function)(CURL *easy);

/// What the application set on one multi handle; libcurl gets the wrapper and this context.
struct multi_context {
    CURLM *multi;
    socket_callback callback;
    void *userp;
    struct multi_context *next;
};

/// A transfer that may still be sending its request body.
struct sending_transfer {
    CURLM *multi;
    CURL *easy;
    struct sending_transfer *next;
};

static pthread_mutex_t sending_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sending_transfer *sending;
static atomic_int sending_count;
static atomic_ullong upload_buffers_released;

static pthread_mutex_t contexts_lock = PTHREAD_MUTEX_INITIALIZER;
static struct multi_context *contexts;

// Per socket number: what libcurl last asked for (CURL_POLL_*; 0 after a remove), and the
// socket actions since the process started. Sockets at or above the table's size pass through
// unchanged.
#define WATCHED_SOCKETS 16384
static _Atomic unsigned char requested[WATCHED_SOCKETS];
static atomic_uint actions_on[WATCHED_SOCKETS];

static atomic_int active;
static atomic_ullong dropped;
static atomic_ullong actions;
static atomic_ullong tuned;

static pthread_once_t setup_once = PTHREAD_ONCE_INIT;
static setopt_function real_setopt;
static assign_function real_assign;
static action_function real_action;
static cleanup_function real_cleanup;
static add_function real_add;
static easy_setopt_function real_easy_setopt;
static easy_getinfo_function real_easy_getinfo;
static remove_function real_remove;
static easy_cleanup_function real_easy_cleanup;
static int enabled;

static void setup(void) {
    real_setopt = (setopt_function)dlsym(RTLD_NEXT, "curl_multi_setopt");
    real_assign = (assign_function)dlsym(RTLD_NEXT, "curl_multi_assign");
    real_action = (action_function)dlsym(RTLD_NEXT, "curl_multi_socket_action");
    real_cleanup = (cleanup_function)dlsym(RTLD_NEXT, "curl_multi_cleanup");
    real_add = (add_function)dlsym(RTLD_NEXT, "curl_multi_add_handle");
    real_easy_setopt = (easy_setopt_function)dlsym(RTLD_NEXT, "curl_easy_setopt");
    real_easy_getinfo = (easy_getinfo_function)dlsym(RTLD_NEXT, "curl_easy_getinfo");
    real_remove = (remove_function)dlsym(RTLD_NEXT, "curl_multi_remove_handle");
    real_easy_cleanup = (easy_cleanup_function)dlsym(RTLD_NEXT, "curl_easy_cleanup");
    const char *setting = getenv("URLSESSION_SOCKET_FIX");
    enabled = !(setting && (strcmp(setting, "0") == 0 || strcmp(setting, "off") == 0));
}

static struct multi_context *context_for(CURLM *multi) {
    pthread_mutex_lock(&contexts_lock);
    struct multi_context *context = contexts;
    while (context && context->multi != multi) context = context->next;
    if (!context && (context = calloc(1, sizeof *context))) {
        context->multi = multi;
        context->next = contexts;
        contexts = context;
    }
    pthread_mutex_unlock(&contexts_lock);
    return context;
}

static int watch_socket(CURL *easy, curl_socket_t socket, int what, void *userp, void *socketp) {
    struct multi_context *context = userp;
    if (socket < 0 || socket >= WATCHED_SOCKETS) return context->callback(easy, socket, what, context->userp, socketp);
    unsigned char previous = atomic_exchange(&requested[socket], what == CURL_POLL_REMOVE ? 0 : (unsigned char)what);
    int stopsWriting = (previous & CURL_POLL_OUT) && what != CURL_POLL_REMOVE && !(what & CURL_POLL_OUT);
    if (!stopsWriting) return context->callback(easy, socket, what, context->userp, socketp);
    // Removing the socket releases FoundationNetworking's sources object (socketp), so
    // libcurl must forget it before the new request creates and assigns another.
    int result = context->callback(easy, socket, CURL_POLL_REMOVE, context->userp, socketp);
    real_assign(context->multi, socket, NULL);
    atomic_fetch_add(&dropped, 1);
    if (result != 0 || what == CURL_POLL_NONE) return result;
    return context->callback(easy, socket, what, context->userp, NULL);
}

CURLMcode curl_multi_setopt(CURLM *multi, int option, ...) {
    pthread_once(&setup_once, setup);
    if (!real_setopt) return CURLM_INTERNAL_ERROR;
    va_list arguments;
    va_start(arguments, option);
    CURLMcode result;
    if (enabled && (option == CURLMOPT_SOCKETFUNCTION || option == CURLMOPT_SOCKETDATA)) {
        void *value = va_arg(arguments, void *);
        struct multi_context *context = context_for(multi);
        if (!context) {
            result = CURLM_OUT_OF_MEMORY;
        } else if (option == CURLMOPT_SOCKETDATA) {
            context->userp = value;
            result = context->callback ? CURLM_OK : real_setopt(multi, option, value);
        } else if (!value) {
            context->callback = NULL;
            result = real_setopt(multi, CURLMOPT_SOCKETFUNCTION, (socket_callback)NULL);
            if (result == CURLM_OK) result = real_setopt(multi, CURLMOPT_SOCKETDATA, context->userp);
        } else {
            context->callback = (socket_callback)value;
            result = real_setopt(multi, CURLMOPT_SOCKETDATA, (void *)context);
            if (result == CURLM_OK) result = real_setopt(multi, CURLMOPT_SOCKETFUNCTION, watch_socket);
            if (result == CURLM_OK) atomic_store(&active, 1);
        }
    } else if (option >= OPTION_OFF_T) {
        result = real_setopt(multi, option, va_arg(arguments, curl_off_t));
    } else if (option >= OPTION_OBJECTPOINT) {
        result = real_setopt(multi, option, va_arg(arguments, void *));
    } else {
        result = real_setopt(multi, option, va_arg(arguments, long));
    }
    va_end(arguments);
    return result;
}

/// Whether a transfer is done with its upload buffer: 1 when its whole body went out, -1 when it
/// answered first (no body, or one cut short), 0 while it may still send.
static int upload_state(CURL *easy) {
    curl_off_t length = -1, sent = 0;
    long status = 0;
    if (real_easy_getinfo(easy, CURLINFO_CONTENT_LENGTH_UPLOAD_T, &length) == 0
        && real_easy_getinfo(easy, CURLINFO_SIZE_UPLOAD_T, &sent) == 0 && length > 0 && sent == length) return 1;
    if (real_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status) == 0 && status >= 200) return -1;
    return 0;
}

/// Takes the transfer at `link` off the list (the caller holds `sending_lock`).
static void unlist(struct sending_transfer **link) {
    struct sending_transfer *transfer = *link;
    *link = transfer->next;
    free(transfer);
    atomic_fetch_sub_explicit(&sending_count, 1, memory_order_relaxed);
}

static void release_sent_upload_buffers(CURLM *multi) {
    pthread_mutex_lock(&sending_lock);
    for (struct sending_transfer **link = &sending; *link;) {
        struct sending_transfer *transfer = *link;
        int state = transfer->multi == multi ? upload_state(transfer->easy) : 0;
        if (state == 0) {
            link = &transfer->next;
            continue;
        }
        // Setting the size frees the buffer ("force a realloc next opportunity", setopt.c).
        if (state > 0 && real_easy_setopt(transfer->easy, CURLOPT_UPLOAD_BUFFERSIZE, (long)TRANSFER_UPLOAD_BUFFER) == 0) {
            atomic_fetch_add_explicit(&upload_buffers_released, 1, memory_order_relaxed);
        }
        unlist(link);
    }
    pthread_mutex_unlock(&sending_lock);
}

/// Forgets the listed transfers of `multi` and `easy` (NULL: any), before libcurl frees them.
static void forget_sending(CURLM *multi, CURL *easy) {
    if (atomic_load_explicit(&sending_count, memory_order_relaxed) == 0) return;
    pthread_mutex_lock(&sending_lock);
    for (struct sending_transfer **link = &sending; *link;) {
        if ((!multi || (*link)->multi == multi) && (!easy || (*link)->easy == easy)) {
            unlist(link);
        } else {
            link = &(*link)->next;
        }
    }
    pthread_mutex_unlock(&sending_lock);
}

CURLMcode curl_multi_socket_action(CURLM *multi, curl_socket_t socket, int events, int *running) {
    pthread_once(&setup_once, setup);
    if (!real_action) return CURLM_INTERNAL_ERROR;
    atomic_fetch_add_explicit(&actions, 1, memory_order_relaxed);
    if (socket >= 0 && socket < WATCHED_SOCKETS) atomic_fetch_add_explicit(&actions_on[socket], 1, memory_order_relaxed);
    CURLMcode result = real_action(multi, socket, events, running);
    if (atomic_load_explicit(&sending_count, memory_order_relaxed) > 0) release_sent_upload_buffers(multi);
    return result;
}

CURLMcode curl_multi_cleanup(CURLM *multi) {
    pthread_once(&setup_once, setup);
    if (!real_cleanup) return CURLM_INTERNAL_ERROR;
    // Unlinked first, so a multi handle allocated at the same address meanwhile gets a context
    // of its own; freed after the cleanup, whose socket callbacks may still use it.
    struct multi_context *gone = NULL;
    pthread_mutex_lock(&contexts_lock);
    for (struct multi_context **link = &contexts; *link; link = &(*link)->next) {
        if ((*link)->multi == multi) {
            gone = *link;
            *link = gone->next;
            break;
        }
    }
    pthread_mutex_unlock(&contexts_lock);
    forget_sending(multi, NULL);
    CURLMcode result = real_cleanup(multi);
    free(gone);
    return result;
}

CURLMcode curl_multi_add_handle(CURLM *multi, CURL *easy) {
    pthread_once(&setup_once, setup);
    if (!real_add) return CURLM_INTERNAL_ERROR;
    if (enabled && real_easy_setopt
        && real_easy_setopt(easy, CURLOPT_BUFFERSIZE, (long)TRANSFER_RECEIVE_BUFFER) == 0
        && real_easy_setopt(easy, CURLOPT_UPLOAD_BUFFERSIZE, (long)TRANSFER_UPLOAD_BUFFER) == 0) {
        atomic_fetch_add_explicit(&tuned, 1, memory_order_relaxed);
    }
    CURLMcode result = real_add(multi, easy);
    struct sending_transfer *transfer;
    if (result == CURLM_OK && enabled && real_easy_getinfo && (transfer = malloc(sizeof *transfer))) {
        pthread_mutex_lock(&sending_lock);
        *transfer = (struct sending_transfer){ .multi = multi, .easy = easy, .next = sending };
        sending = transfer;
        atomic_fetch_add_explicit(&sending_count, 1, memory_order_relaxed);
        pthread_mutex_unlock(&sending_lock);
    }
    return result;
}

CURLMcode curl_multi_remove_handle(CURLM *multi, CURL *easy) {
    pthread_once(&setup_once, setup);
    if (!real_remove) return CURLM_INTERNAL_ERROR;
    forget_sending(multi, easy);
    return real_remove(multi, easy);
}

void curl_easy_cleanup(CURL *easy) {
    pthread_once(&setup_once, setup);
    if (!real_easy_cleanup) return;
    forget_sending(NULL, easy);
    real_easy_cleanup(easy);
}

int curl_session_fix_active(void) { return atomic_load(&active); }

int curl_session_fix_enabled(void) {
    pthread_once(&setup_once, setup);
    return enabled;
}

unsigned long long curl_session_fix_write_watches_dropped(void) { return atomic_load(&dropped); }

unsigned long long curl_session_fix_socket_actions(void) { return atomic_load(&actions); }

unsigned long long curl_session_fix_transfers_with_small_buffers(void) { return atomic_load(&tuned); }

unsigned long long curl_session_fix_upload_buffers_released(void) { return atomic_load(&upload_buffers_released); }

unsigned curl_session_fix_socket_actions_on(int socket) {
    return socket >= 0 && socket < WATCHED_SOCKETS ? atomic_load(&actions_on[socket]) : 0;
}

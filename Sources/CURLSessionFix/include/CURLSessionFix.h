#ifndef CURL_SESSION_FIX_H
#define CURL_SESSION_FIX_H

// Counters of the URLSession socket-watch fix (CURLSessionFix.c says what it fixes and how).

/// 1 once FoundationNetworking's libcurl multi handles are set up through this fix (the
/// executable exports its `curl_multi_setopt`), else 0.
int curl_session_fix_active(void);

/// 1 unless URLSESSION_SOCKET_FIX=0 or off turned the fix off for this process.
int curl_session_fix_enabled(void);

/// Write-readiness watches dropped because libcurl no longer wanted them.
unsigned long long curl_session_fix_write_watches_dropped(void);

/// Calls into `curl_multi_socket_action` (FoundationNetworking makes one per socket event).
unsigned long long curl_session_fix_socket_actions(void);

/// Calls into `curl_multi_socket_action` for one socket number since the process started
/// (0 for numbers the fix does not watch).
unsigned curl_session_fix_socket_actions_on(int socket);

/// Transfers started with the smaller receive and upload buffers (one per URLSession call).
unsigned long long curl_session_fix_transfers_with_small_buffers(void);

/// Upload buffers freed as soon as their transfer had sent its whole request body.
unsigned long long curl_session_fix_upload_buffers_released(void);

#endif

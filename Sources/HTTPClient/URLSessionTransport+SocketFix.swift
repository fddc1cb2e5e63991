import CURLSessionFix

extension URLSessionTransport {
    /// The fix for FoundationNetworking's busy wait while the first call on a new connection
    /// awaits its answer (`Sources/CURLSessionFix/CURLSessionFix.c` says what it fixes and how).
    public enum SocketFix {
        /// True once URLSession's libcurl handles were set up through the fix: the executable
        /// exports the fix's `curl_multi_setopt`, and `URLSESSION_SOCKET_FIX` did not turn it off.
        public static var isActive: Bool { curl_session_fix_active() != 0 }

        /// False when `URLSESSION_SOCKET_FIX=0` (or `off`) turned the fix off for this process.
        public static var isEnabled: Bool { curl_session_fix_enabled() != 0 }

        /// Write-readiness watches dropped because libcurl no longer wanted them (one per new connection).
        public static var droppedWriteWatches: UInt64 { UInt64(curl_session_fix_write_watches_dropped()) }

        /// Socket events handed to libcurl (one per readiness event a dispatch source reported).
        public static var socketActions: UInt64 { UInt64(curl_session_fix_socket_actions()) }

        /// Transfers libcurl started with the fix's smaller receive and upload buffers.
        public static var transfersWithSmallBuffers: UInt64 { UInt64(curl_session_fix_transfers_with_small_buffers()) }

        /// Upload buffers freed as soon as their transfer had sent its whole request body.
        public static var uploadBuffersReleased: UInt64 { UInt64(curl_session_fix_upload_buffers_released()) }

        /// Socket events handed to libcurl for one socket number since the process started.
        public static func socketActions(onDescriptor descriptor: Int32) -> UInt64 {
            UInt64(curl_session_fix_socket_actions_on(descriptor))
        }
    }
}

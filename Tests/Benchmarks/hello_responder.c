/* Baseline for `make bench`: the smallest multi-threaded libfcgi responder, the ceiling for
 * any libfcgi worker behind the same nginx. Usage: hello_responder SOCKET THREADS [detach]
 * With `detach` it reads the request to its end and closes at once, as the workers do, instead
 * of libfcgi's shutdown-and-wait for nginx to close first (a reference line in the bench). */
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int listen_fd;
static int detach;

static void *serve(void *unused) {
    (void)unused;
    FCGX_Request request;
    FCGX_InitRequest(&request, listen_fd, 0);
    static const char reply[] = "Status: 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"orders\":[]}";
    while (FCGX_Accept_r(&request) >= 0) {
        if (detach) {
            char body[4096];
            while (FCGX_GetStr(body, (int)sizeof(body), request.in) > 0) {}
        }
        FCGX_PutStr(reply, (int)sizeof(reply) - 1, request.out);
        if (detach) FCGX_Detach(&request);
        FCGX_Finish_r(&request);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 3 || argc > 4) { fprintf(stderr, "usage: %s SOCKET THREADS [detach]\n", argv[0]); return 2; }
    int threads = atoi(argv[2]);
    detach = argc == 4 && strcmp(argv[3], "detach") == 0;
    FCGX_Init();
    // libfcgi turns SIGTERM into "stop after the next accept", which never comes once the bench
    // stops sending: the bench then waited 10 s and sent SIGKILL. Nothing here needs finishing.
    signal(SIGTERM, SIG_DFL);
    unlink(argv[1]);
    listen_fd = FCGX_OpenSocket(argv[1], 1024);
    if (listen_fd < 0) { perror("FCGX_OpenSocket"); return 1; }
    pthread_t ids[256];
    for (int i = 0; i < threads && i < 256; i++) pthread_create(&ids[i], NULL, serve, NULL);
    for (int i = 0; i < threads && i < 256; i++) pthread_join(ids[i], NULL);
    return 0;
}

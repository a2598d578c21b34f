/*
 * Built and run by the bitmaps workload: writes COUNT scattered 4 KiB extents
 * through an NBD export on a UNIX socket, up to 64 requests in flight (the
 * queue depth the python3-libnbd client had). Extent i
 * lands at i * (size / COUNT) plus a few KiB, shifted by half a step for
 * PHASE 1, so every extent of either phase dirties a granule of its own.
 * Prints {"seconds": ...}.
 *
 * A raw protocol client, not libnbd: python3-libnbd spends about 10 us of
 * CPU per write, as much as either server, so it measured itself. This one
 * sends each window of requests with one write and reads the replies in
 * bulk, so nearly all the time left is the server's.
 *
 * usage: _bitmap_dirty_client SOCKET EXPORT COUNT PHASE
 */
#include <arpa/inet.h>
#include <endian.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define DEPTH 64
#define BS 4096
#define REQUEST 28
#define REPLY 16

static void die(const char *what) {
    perror(what);
    exit(1);
}

static void read_all(int fd, void *buf, size_t len) {
    char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n <= 0) die("read");
        p += n;
        len -= (size_t) n;
    }
}

static void write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n <= 0) die("write");
        p += n;
        len -= (size_t) n;
    }
}

/* Fixed newstyle handshake with NBD_OPT_EXPORT_NAME: -> the export's size. */
static uint64_t handshake(int fd, const char *name) {
    char greeting[18];
    read_all(fd, greeting, sizeof greeting);
    if (memcmp(greeting, "NBDMAGICIHAVEOPT", 16) != 0) {
        fprintf(stderr, "not an NBD newstyle server\n");
        exit(1);
    }
    uint32_t client_flags = htonl(1 | 2); /* FIXED_NEWSTYLE, NO_ZEROES */
    write_all(fd, &client_flags, 4);
    uint32_t len = (uint32_t) strlen(name);
    char option[16];
    uint64_t magic = htobe64(0x49484156454F5054ULL);
    uint32_t opt = htonl(1), olen = htonl(len);
    memcpy(option, &magic, 8);
    memcpy(option + 8, &opt, 4);
    memcpy(option + 12, &olen, 4);
    write_all(fd, option, sizeof option);
    write_all(fd, name, len);
    char info[10];
    read_all(fd, info, sizeof info);
    uint64_t size;
    memcpy(&size, info, 8);
    return be64toh(size);
}

static void put_request(char *p, uint16_t type, uint64_t handle, uint64_t offset, uint32_t length) {
    uint32_t magic = htonl(0x25609513);
    uint16_t flags = 0, t = htons(type);
    uint64_t h = htobe64(handle), o = htobe64(offset);
    uint32_t l = htonl(length);
    memcpy(p, &magic, 4);
    memcpy(p + 4, &flags, 2);
    memcpy(p + 6, &t, 2);
    memcpy(p + 8, &h, 8);
    memcpy(p + 16, &o, 8);
    memcpy(p + 24, &l, 4);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s SOCKET EXPORT COUNT PHASE\n", argv[0]);
        return 2;
    }
    long count = atol(argv[3]);
    int phase = atoi(argv[4]);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strncpy(addr.sun_path, argv[1], sizeof addr.sun_path - 1);
    if (connect(fd, (struct sockaddr *) &addr, sizeof addr) < 0) die("connect");
    uint64_t step = handshake(fd, argv[2]) / (uint64_t) count;

    static char window[DEPTH * (REQUEST + BS)];
    static char replies[DEPTH * REPLY];
    memset(window, 0x5a, sizeof window);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long sent = 0, done = 0;
    size_t pending = 0; /* bytes of replies read but not yet a whole reply */
    while (done < count) {
        size_t fill = 0;
        /* Refill only once half the window is back, so requests go out in batches, as a
           client that submits several at once sends them, not one per reply. */
        while (sent < count && sent - done < DEPTH && (fill > 0 || sent - done <= DEPTH / 2)) {
            uint64_t offset = (uint64_t) sent * step + (uint64_t) phase * (step / 2)
                              + (uint64_t) ((sent * 7) % 16) * BS;
            put_request(window + fill, 1 /* NBD_CMD_WRITE */, (uint64_t) sent, offset, BS);
            fill += REQUEST + BS;
            sent++;
        }
        if (fill > 0) write_all(fd, window, fill);
        ssize_t n = read(fd, replies + pending, sizeof replies - pending);
        if (n <= 0) die("read reply");
        pending += (size_t) n;
        for (size_t at = 0; at + REPLY <= pending; at += REPLY) {
            uint32_t error;
            memcpy(&error, replies + at + 4, 4);
            if (error != 0) {
                fprintf(stderr, "write failed: errno %u\n", ntohl(error));
                return 1;
            }
            done++;
        }
        size_t whole = pending - pending % REPLY;
        memmove(replies, replies + whole, pending - whole);
        pending -= whole;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    char disc[REQUEST];
    put_request(disc, 2 /* NBD_CMD_DISC */, 0, 0, 0);
    write_all(fd, disc, sizeof disc);
    close(fd);
    printf("{\"seconds\": %.6f}\n", (double) (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}

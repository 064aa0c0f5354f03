# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, binding=True
"""Batch datagram receive with ``recvmmsg(2)``; the twin of ``snmptrapmgr/io/_batch_py.py``.

Same class, signature, return shapes and semantics as the pure-Python twin
(see its docstring).  On Linux one ``recvmmsg`` call fills up to ``batch``
preallocated slots (each ``max_packet + 1`` bytes, plus room for the sender's
address and the ``SO_RXQ_OVFL`` control message); each datagram is copied
out once, into the ``bytes`` the decoder reads.  Elsewhere a C loop over
``recvmsg`` does the same.  Sender addresses are built as the socket module
builds them (``inet_ntop``) and the tuples are cached, so a burst from a few
senders does not format the same address again and again.
"""

from cpython.bytes cimport PyBytes_FromStringAndSize
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memcmp, memcpy, memset

cdef extern from *:
    """
    #include <errno.h>
    #include <sys/types.h>
    #include <sys/socket.h>
    #include <sys/uio.h>
    #include <netinet/in.h>
    #include <arpa/inet.h>
    #ifndef SO_RXQ_OVFL
    #  ifdef __linux__
    #    define SO_RXQ_OVFL 40
    #  else
    #    define SO_RXQ_OVFL -1
    #  endif
    #endif
    #ifndef MSG_DONTWAIT
    #  define MSG_DONTWAIT 0
    #endif
    #ifdef __linux__
    #  define SRM_HAVE_MMSG 1
    typedef struct mmsghdr srm_mmsghdr;
    static int srm_recvmmsg(int fd, srm_mmsghdr *v, unsigned int n) {
        return recvmmsg(fd, v, n, MSG_DONTWAIT, NULL);
    }
    #else
    #  define SRM_HAVE_MMSG 0
    typedef struct { struct msghdr msg_hdr; unsigned int msg_len; } srm_mmsghdr;
    static int srm_recvmmsg(int fd, srm_mmsghdr *v, unsigned int n) {
        unsigned int i;
        for (i = 0; i < n; i++) {
            ssize_t r = recvmsg(fd, &v[i].msg_hdr, MSG_DONTWAIT);
            if (r < 0) return i ? (int)i : -1;
            v[i].msg_len = (unsigned int)r;
        }
        return (int)n;
    }
    #endif
    static int srm_errno(void) { return errno; }
    static int srm_is_refused(int e) { return e == ECONNREFUSED; }
    /* the last SO_RXQ_OVFL counter in a message's control data, or -1 */
    static long long srm_drops(struct msghdr *m) {
        long long out = -1;
        struct cmsghdr *c;
        if (SO_RXQ_OVFL < 0) return -1;
        for (c = CMSG_FIRSTHDR(m); c != NULL; c = CMSG_NXTHDR(m, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL
                    && c->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
                uint32_t v;
                memcpy(&v, CMSG_DATA(c), sizeof(v));
                out = (long long)v;
            }
        }
        return out;
    }
    #define SRM_CONTROL_SIZE 64
    """
    ctypedef unsigned int socklen_t
    ctypedef unsigned short sa_family_t
    struct iovec:
        void* iov_base
        size_t iov_len
    struct msghdr:
        void* msg_name
        socklen_t msg_namelen
        iovec* msg_iov
        size_t msg_iovlen
        void* msg_control
        size_t msg_controllen
        int msg_flags
    ctypedef struct srm_mmsghdr:
        msghdr msg_hdr
        unsigned int msg_len
    struct sockaddr:
        sa_family_t sa_family
    struct sockaddr_storage:
        sa_family_t ss_family
    struct in_addr:
        uint32_t s_addr
    struct sockaddr_in:
        sa_family_t sin_family
        uint16_t sin_port
        in_addr sin_addr
    struct in6_addr:
        pass
    struct sockaddr_in6:
        sa_family_t sin6_family
        uint16_t sin6_port
        uint32_t sin6_flowinfo
        in6_addr sin6_addr
        uint32_t sin6_scope_id
    int AF_INET
    int AF_INET6
    int SRM_HAVE_MMSG
    int SRM_CONTROL_SIZE
    int SO_RXQ_OVFL_C "SO_RXQ_OVFL"
    int INET6_ADDRSTRLEN
    int srm_recvmmsg(int fd, srm_mmsghdr* v, unsigned int n) nogil
    int srm_errno() nogil
    int srm_is_refused(int e) nogil
    long long srm_drops(msghdr* m) nogil
    const char* inet_ntop(int af, const void* src, char* dst, socklen_t size) nogil
    uint16_t ntohs(uint16_t) nogil
    uint32_t ntohl(uint32_t) nogil

__all__ = ["BatchReceiver", "SO_RXQ_OVFL", "HAVE_RECVMMSG"]

SO_RXQ_OVFL = SO_RXQ_OVFL_C if SO_RXQ_OVFL_C >= 0 else None
HAVE_RECVMMSG = bool(SRM_HAVE_MMSG)

cdef enum:
    _CACHE_MAX = 4096
    _REFUSED_RETRIES = 64


cdef class BatchReceiver:
    """Reads datagrams in batches from one non-blocking UDP socket."""

    cdef public object sock
    cdef public int batch
    cdef public int max_packet
    cdef public long long drops
    cdef size_t _slot
    cdef char* _data
    cdef char* _control
    cdef sockaddr_storage* _names
    cdef srm_mmsghdr* _msgs
    cdef iovec* _iov
    cdef dict _v4
    cdef dict _v6
    # the last IPv4 sender and its tuple: a burst from one device skips the dict
    cdef uint32_t _last_ip
    cdef uint16_t _last_port
    cdef object _last_addr

    def __cinit__(self, sock, int batch=64, int max_packet=65535):
        self._data = NULL
        self._control = NULL
        self._names = NULL
        self._msgs = NULL
        self._iov = NULL

    def __init__(self, sock, int batch=64, int max_packet=65535):
        cdef int i
        if batch < 1:
            raise ValueError("batch must be at least 1")
        if not 1 <= max_packet <= 65535:
            raise ValueError("max_packet must be 1..65535")
        self.sock = sock
        self.batch = batch
        self.max_packet = max_packet
        self.drops = -1
        self._slot = <size_t>max_packet + 1
        self._v4 = {}
        self._v6 = {}
        self._last_addr = None
        # untouched pages of the slots cost no memory: the kernel only writes
        # as many bytes as each datagram has
        self._data = <char*>malloc(self._slot * batch)
        self._control = <char*>calloc(batch, SRM_CONTROL_SIZE)
        self._names = <sockaddr_storage*>calloc(batch, sizeof(sockaddr_storage))
        self._msgs = <srm_mmsghdr*>calloc(batch, sizeof(srm_mmsghdr))
        self._iov = <iovec*>calloc(batch, sizeof(iovec))
        if not (self._data and self._control and self._names and self._msgs and self._iov):
            raise MemoryError()
        for i in range(batch):
            self._iov[i].iov_base = self._data + self._slot * i
            self._iov[i].iov_len = self._slot
            self._msgs[i].msg_hdr.msg_iov = &self._iov[i]
            self._msgs[i].msg_hdr.msg_iovlen = 1
            self._msgs[i].msg_hdr.msg_name = &self._names[i]

    def __dealloc__(self):
        free(self._data)
        free(self._control)
        free(self._names)
        free(self._msgs)
        free(self._iov)

    cdef object _address(self, sockaddr_storage* name):
        cdef sockaddr_in* v4
        cdef sockaddr_in6* v6
        cdef char text[64]
        cdef uint64_t key
        cdef object address
        if name.ss_family == AF_INET:
            v4 = <sockaddr_in*>name
            if self._last_addr is not None and v4.sin_addr.s_addr == self._last_ip \
                    and v4.sin_port == self._last_port:
                return self._last_addr
            key = (<uint64_t>v4.sin_addr.s_addr << 16) | v4.sin_port
            address = self._v4.get(key)
            if address is None:
                inet_ntop(AF_INET, &v4.sin_addr, text, sizeof(text))
                address = ((<bytes>text).decode("ascii"), ntohs(v4.sin_port))
                if len(self._v4) >= _CACHE_MAX:
                    self._v4.clear()
                self._v4[key] = address
            self._last_ip = v4.sin_addr.s_addr
            self._last_port = v4.sin_port
            self._last_addr = address
            return address
        if name.ss_family == AF_INET6:
            v6 = <sockaddr_in6*>name
            raw = PyBytes_FromStringAndSize(<char*>v6, sizeof(sockaddr_in6))
            address = self._v6.get(raw)
            if address is None:
                inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof(text))
                address = ((<bytes>text).decode("ascii"), ntohs(v6.sin6_port),
                           ntohl(v6.sin6_flowinfo), v6.sin6_scope_id)
                if len(self._v6) >= _CACHE_MAX:
                    self._v6.clear()
                self._v6[raw] = address
            return address
        return ("", 0)

    def receive(self, int limit):
        """Up to ``limit`` waiting datagrams as ``(data, address, oversized)``."""
        cdef list out = []
        cdef int fd, want, got, i, err, refused = 0
        cdef unsigned int length
        cdef long long drops
        cdef srm_mmsghdr* msg
        cdef int maximum = self.max_packet
        cdef bint oversized
        if limit <= 0 or self.sock is None:
            return out
        fd = self.sock.fileno()
        if fd < 0:
            return out
        while limit > 0:
            want = limit if limit < self.batch else self.batch
            for i in range(want):
                msg = &self._msgs[i]
                msg.msg_hdr.msg_namelen = sizeof(sockaddr_storage)
                msg.msg_hdr.msg_control = self._control + SRM_CONTROL_SIZE * i
                msg.msg_hdr.msg_controllen = SRM_CONTROL_SIZE
                msg.msg_hdr.msg_flags = 0
                msg.msg_len = 0
            with nogil:
                got = srm_recvmmsg(fd, self._msgs, <unsigned int>want)
                err = srm_errno() if got < 0 else 0
            if got < 0:
                if srm_is_refused(err) and refused < _REFUSED_RETRIES:
                    refused += 1  # ICMP port unreachable from an earlier reply
                    continue
                break
            for i in range(got):
                msg = &self._msgs[i]
                length = msg.msg_len
                oversized = length > <unsigned int>maximum
                if oversized:
                    length = maximum
                if msg.msg_hdr.msg_controllen:
                    drops = srm_drops(&msg.msg_hdr)
                    if drops >= 0:
                        self.drops = drops
                out.append((PyBytes_FromStringAndSize(<char*>self._iov[i].iov_base, length),
                            self._address(&self._names[i]), oversized))
            limit -= got
            if got < want:
                break
        return out

    def close(self):
        self.sock = None

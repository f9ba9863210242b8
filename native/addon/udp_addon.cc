// edgens_udp: batch UDP sockets (SO_REUSEPORT, recvmmsg/sendmmsg) for the socket path. No libbpf: this addon
// builds wherever a C++ compiler does. Loaded by src/server/native-udp.ts.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <napi.h>

#include <cstring>

#include "udp_socket.h"

namespace {

// Ask for `bytes` of socket buffer; as root SO_*BUFFORCE passes net.core.[rw]mem_max, else the kernel caps it.
void SetBuffer(int fd, int force, int normal, int bytes) {
  if (bytes <= 0) return;
  if (setsockopt(fd, SOL_SOCKET, force, &bytes, sizeof(bytes)) < 0)
    setsockopt(fd, SOL_SOCKET, normal, &bytes, sizeof(bytes));
}

// openUdp(family 4|6, addr Buffer(4|16), port, rcvbuf, sndbuf, reusePort 0|1) -> fd | -errno.
// A non-blocking, close-on-exec UDP socket bound to exactly that address (so answers leave from it).
Napi::Value OpenUdp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 6 || !info[1].IsBuffer()) return Napi::Number::New(env, -EINVAL);
  int family = info[0].As<Napi::Number>().Int32Value();
  Napi::Buffer<uint8_t> addr = info[1].As<Napi::Buffer<uint8_t>>();
  int port = info[2].As<Napi::Number>().Int32Value();
  int rcvbuf = info[3].As<Napi::Number>().Int32Value();
  int sndbuf = info[4].As<Napi::Number>().Int32Value();
  int reuse = info[5].As<Napi::Number>().Int32Value();
  sockaddr_storage ss{};
  socklen_t sslen;
  if (family == 4 && addr.Length() == 4) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(static_cast<uint16_t>(port));
    memcpy(&sin->sin_addr, addr.Data(), 4);
    sslen = sizeof(*sin);
  } else if (family == 6 && addr.Length() == 16) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(static_cast<uint16_t>(port));
    memcpy(&sin6->sin6_addr, addr.Data(), 16);
    sslen = sizeof(*sin6);
  } else {
    return Napi::Number::New(env, -EINVAL);
  }
  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Napi::Number::New(env, -errno);
  int one = 1;
  int err = 0;
  if (family == 6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) err = errno;
  if (!err && reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) err = errno;
  if (!err) {
    SetBuffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, rcvbuf);
    SetBuffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, sndbuf);
    if (bind(fd, reinterpret_cast<sockaddr*>(&ss), sslen) < 0) err = errno;
  }
  if (err) {
    close(fd);
    return Napi::Number::New(env, -err);
  }
  return Napi::Number::New(env, fd);
}

// socketInfo(fd) -> [localPort, rcvbuf, sndbuf] | -errno (buffers as the kernel reports them: twice the request).
Napi::Value SocketInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return Napi::Number::New(env, -errno);
  int port = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  int rcv = 0, snd = 0;
  socklen_t il = sizeof(int);
  getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, &il);
  il = sizeof(int);
  getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, &il);
  Napi::Array res = Napi::Array::New(env, 3);
  res.Set(0u, Napi::Number::New(env, port));
  res.Set(1u, Napi::Number::New(env, rcv));
  res.Set(2u, Napi::Number::New(env, snd));
  return res;
}

// closeFd(fd) -> 0 | -errno: for a socket opened but never handed to a UdpSocket.
Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  return Napi::Number::New(info.Env(), close(fd) < 0 ? -errno : 0);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("openUdp", Napi::Function::New(env, OpenUdp));
  exports.Set("socketInfo", Napi::Function::New(env, SocketInfo));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd));
  exports.Set("UdpSocket", UdpSocket::Define(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(edgens_udp, Init)

// See udp_socket.h. Loaded through src/server/native-udp.ts.
#include "udp_socket.h"

#include <errno.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstring>

namespace {

constexpr size_t kPeerSize = sizeof(sockaddr_in6);

template <typename T>
T* TypedData(const Napi::Value& v, size_t* len) {
  Napi::TypedArray a = v.As<Napi::TypedArray>();
  *len = a.ByteLength();
  return reinterpret_cast<T*>(static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset());
}

}  // namespace

Napi::Function UdpSocket::Define(Napi::Env env) {
  return DefineClass(env, "UdpSocket",
                     {InstanceMethod("start", &UdpSocket::Start), InstanceMethod("flush", &UdpSocket::Flush),
                      InstanceMethod("close", &UdpSocket::Close)});
}

// new UdpSocket(fd, batch, slot, rounds, rx, rxMeta, peers, tx, txMeta, onBatch). The socket takes ownership
// of fd. TypeScript checks the sizes: rx >= batch*slot, rxMeta >= 2*batch, peers >= batch*28, txMeta >= 3*batch.
UdpSocket::UdpSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<UdpSocket>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 10 || !info[9].IsFunction()) {
    Napi::TypeError::New(env, "UdpSocket: bad arguments").ThrowAsJavaScriptException();
    return;
  }
  fd_ = info[0].As<Napi::Number>().Int32Value();
  batch_ = info[1].As<Napi::Number>().Uint32Value();
  slot_ = info[2].As<Napi::Number>().Uint32Value();
  rounds_ = info[3].As<Napi::Number>().Uint32Value();
  size_t len;
  rx_ = TypedData<uint8_t>(info[4], &len);
  rxMeta_ = TypedData<int32_t>(info[5], &len);
  peers_ = TypedData<uint8_t>(info[6], &len);
  tx_ = TypedData<uint8_t>(info[7], &txSize_);
  txMeta_ = TypedData<int32_t>(info[8], &len);
  for (int i = 0; i < 5; i++) refs_[i] = Napi::Persistent(info[4 + i]);
  onBatch_ = Napi::Persistent(info[9].As<Napi::Function>());
  context_ = new Napi::AsyncContext(env, "edgens.udp");
  msgs_.resize(batch_);
  iovs_.resize(batch_);
}

UdpSocket::~UdpSocket() {
  StopPolling();
  if (fd_ >= 0) close(fd_);
  delete context_;
}

void UdpSocket::StopPolling() {
  if (poll_ == nullptr) return;
  uv_poll_stop(poll_);
  uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  poll_ = nullptr;
}

// start() -> 0 | -errno: begin polling the fd on the Node event loop.
Napi::Value UdpSocket::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (poll_ != nullptr || fd_ < 0) return Napi::Number::New(env, -EALREADY);
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return Napi::Number::New(env, -EINVAL);
  poll_ = new uv_poll_t;
  int err = uv_poll_init(loop, poll_, fd_);
  if (err == 0) {
    poll_->data = this;
    err = uv_poll_start(poll_, UV_READABLE, &UdpSocket::OnPoll);
  }
  if (err != 0) {
    StopPolling();
    return Napi::Number::New(env, err);  // libuv errors are already -errno on Unix
  }
  // The poll handle holds a raw `this`: keep the JS object alive while polling.
  Ref();
  return Napi::Number::New(env, 0);
}

void UdpSocket::OnPoll(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<UdpSocket*>(handle->data);
  if (self != nullptr && status == 0) self->Drain();
}

// Up to `rounds` recvmmsg batches per wakeup, then back to the loop (level-triggered: it calls again) so
// timers, TCP and IPC are not starved under a flood.
void UdpSocket::Drain() {
  Napi::Env env = Env();
  for (uint32_t round = 0; round < rounds_ && fd_ >= 0; round++) {
    for (uint32_t i = 0; i < batch_; i++) {
      iovs_[i].iov_base = rx_ + static_cast<size_t>(i) * slot_;
      iovs_[i].iov_len = slot_;
      msghdr& h = msgs_[i].msg_hdr;
      h.msg_name = peers_ + i * kPeerSize;
      h.msg_namelen = kPeerSize;
      h.msg_iov = &iovs_[i];
      h.msg_iovlen = 1;
      h.msg_control = nullptr;
      h.msg_controllen = 0;
      h.msg_flags = 0;
    }
    int n = recvmmsg(fd_, msgs_.data(), batch_, MSG_DONTWAIT, nullptr);
    if (n <= 0) return;  // EAGAIN (drained) or a transient error: wait for the next wakeup
    for (int i = 0; i < n; i++) {
      rxMeta_[2 * i] = (msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) ? -1 : static_cast<int32_t>(msgs_[i].msg_len);
      rxMeta_[2 * i + 1] = static_cast<int32_t>(msgs_[i].msg_hdr.msg_namelen);
    }
    Napi::HandleScope scope(env);
    onBatch_.MakeCallback(Value(), {Napi::Number::New(env, n)}, *context_);
    if (env.IsExceptionPending()) return;
    if (static_cast<uint32_t>(n) < batch_) return;  // short batch: the queue is empty
  }
}

// flush(count) -> number of answers the kernel refused (>= 0) | -errno. Sends txMeta[0 .. 3*count) with
// sendmmsg; a failing datagram (e.g. EPERM from a firewall) is skipped and counted, the rest still go out.
Napi::Value UdpSocket::Flush(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ < 0) return Napi::Number::New(env, -EBADF);
  uint32_t count = info[0].As<Napi::Number>().Uint32Value();
  if (count > batch_) return Napi::Number::New(env, -EINVAL);
  for (uint32_t i = 0; i < count; i++) {
    size_t off = static_cast<uint32_t>(txMeta_[3 * i]);
    size_t len = static_cast<uint32_t>(txMeta_[3 * i + 1]);
    uint32_t peer = static_cast<uint32_t>(txMeta_[3 * i + 2]);
    if (off + len > txSize_ || peer >= batch_) return Napi::Number::New(env, -EINVAL);
    iovs_[i].iov_base = tx_ + off;
    iovs_[i].iov_len = len;
    msghdr& h = msgs_[i].msg_hdr;
    h.msg_name = peers_ + peer * kPeerSize;
    h.msg_namelen = static_cast<socklen_t>(rxMeta_[2 * peer + 1]);
    h.msg_iov = &iovs_[i];
    h.msg_iovlen = 1;
    h.msg_control = nullptr;
    h.msg_controllen = 0;
    h.msg_flags = 0;
  }
  uint32_t done = 0;
  int failed = 0;
  int interrupted = 0;
  // Bounded: every pass sends at least one datagram or skips one (EINTR is retried a few times at most).
  while (done < count) {
    int n = sendmmsg(fd_, msgs_.data() + done, count - done, MSG_DONTWAIT);
    if (n > 0) {
      done += n;
    } else if (n < 0 && errno == EINTR && interrupted++ < 3) {
      continue;
    } else {
      done++;
      failed++;
    }
  }
  return Napi::Number::New(env, failed);
}

// close(): stop polling and close the fd. Idempotent.
Napi::Value UdpSocket::Close(const Napi::CallbackInfo& info) {
  bool wasPolling = poll_ != nullptr;
  StopPolling();
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  if (wasPolling) Unref();
  return info.Env().Undefined();
}

// One UDP socket served in batches: libuv polls the fd on the Node loop, recvmmsg drains up to `batch`
// datagrams per wakeup into one shared Buffer, one JS callback handles the batch, sendmmsg sends the answers.
// Thin by design: TypeScript validates arguments and lays out the buffers; methods return -errno on failure.
#pragma once

#include <napi.h>
#include <sys/socket.h>
#include <uv.h>

#include <vector>

class UdpSocket : public Napi::ObjectWrap<UdpSocket> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit UdpSocket(const Napi::CallbackInfo& info);
  ~UdpSocket() override;

 private:
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Flush(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  static void OnPoll(uv_poll_t* handle, int status, int events);
  void Drain();
  void StopPolling();

  int fd_ = -1;
  uint32_t batch_ = 0;
  uint32_t slot_ = 0;
  uint32_t rounds_ = 0;
  // Buffers shared with JS, kept alive by the references below.
  uint8_t* rx_ = nullptr;      // batch * slot bytes of received datagrams
  int32_t* rxMeta_ = nullptr;  // per datagram: length (-1 when truncated), peer address length
  uint8_t* peers_ = nullptr;   // batch * sizeof(sockaddr_in6): raw peer addresses
  uint8_t* tx_ = nullptr;      // answers, packed by JS
  size_t txSize_ = 0;
  int32_t* txMeta_ = nullptr;  // per answer: offset in tx, length, index of the peer to send to
  Napi::Reference<Napi::Value> refs_[5];
  Napi::FunctionReference onBatch_;
  Napi::AsyncContext* context_ = nullptr;
  uv_poll_t* poll_ = nullptr;
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iovs_;
};

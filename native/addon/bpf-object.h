// One libbpf object (programs + maps) and the XDP links it created. Thin by design: TypeScript validates
// arguments and shapes results; every method returns -errno on failure and TypeScript raises typed errors.
#pragma once

#include <napi.h>

#include <set>

struct bpf_object;
struct bpf_map;

class BpfObject : public Napi::ObjectWrap<BpfObject> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit BpfObject(const Napi::CallbackInfo& info);
  ~BpfObject() override;

 private:
  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value SetMaxEntries(const Napi::CallbackInfo& info);
  Napi::Value Load(const Napi::CallbackInfo& info);
  Napi::Value MapInfo(const Napi::CallbackInfo& info);
  Napi::Value MapUpdate(const Napi::CallbackInfo& info);
  Napi::Value MapLookup(const Napi::CallbackInfo& info);
  Napi::Value MapDelete(const Napi::CallbackInfo& info);
  Napi::Value MapNextKey(const Napi::CallbackInfo& info);
  Napi::Value MapUpdateBatch(const Napi::CallbackInfo& info);
  Napi::Value AttachXdp(const Napi::CallbackInfo& info);
  Napi::Value DetachXdp(const Napi::CallbackInfo& info);
  Napi::Value TestRun(const Napi::CallbackInfo& info);
  Napi::Value ProgId(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  // Map by name after open(); nullptr when unknown or closed.
  bpf_map* FindMap(const Napi::Value& name);
  int ProgFd(const Napi::Value& name);
  void Release();

  bpf_object* obj_ = nullptr;
  bool loaded_ = false;
  std::set<int> links_;  // bpf_link fds we own: closing one detaches its program
};

#include "bpf-object.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <unistd.h>

#include <cstdint>
#include <string>

namespace {

bool IsBuffer(const Napi::Value& v) { return v.IsBuffer(); }

Napi::Number Num(Napi::Env env, double v) { return Napi::Number::New(env, v); }

// Arguments are validated in TypeScript; a mismatch here is a programming error, reported as -EINVAL.
bool CheckArgs(const Napi::CallbackInfo& info, size_t n) { return info.Length() >= n; }

// Bytes the kernel reads or writes for one value: per-CPU maps hold an 8-byte-aligned slot per possible CPU.
// Buffer sizes are checked here, not only in TypeScript, because a short buffer would be overrun.
size_t ValueBytes(const bpf_map* map) {
  size_t size = bpf_map__value_size(map);
  switch (bpf_map__type(map)) {
    case BPF_MAP_TYPE_PERCPU_ARRAY:
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
    case BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE: {
      int cpus = libbpf_num_possible_cpus();
      return cpus > 0 ? ((size + 7) / 8) * 8 * static_cast<size_t>(cpus) : SIZE_MAX;
    }
    default:
      return size;
  }
}

}  // namespace

Napi::Function BpfObject::Define(Napi::Env env) {
  return DefineClass(env, "BpfObject",
                     {
                         InstanceMethod("open", &BpfObject::Open),
                         InstanceMethod("setMaxEntries", &BpfObject::SetMaxEntries),
                         InstanceMethod("load", &BpfObject::Load),
                         InstanceMethod("mapInfo", &BpfObject::MapInfo),
                         InstanceMethod("mapUpdate", &BpfObject::MapUpdate),
                         InstanceMethod("mapLookup", &BpfObject::MapLookup),
                         InstanceMethod("mapDelete", &BpfObject::MapDelete),
                         InstanceMethod("mapNextKey", &BpfObject::MapNextKey),
                         InstanceMethod("mapUpdateBatch", &BpfObject::MapUpdateBatch),
                         InstanceMethod("attachXdp", &BpfObject::AttachXdp),
                         InstanceMethod("detachXdp", &BpfObject::DetachXdp),
                         InstanceMethod("testRun", &BpfObject::TestRun),
                         InstanceMethod("progId", &BpfObject::ProgId),
                         InstanceMethod("close", &BpfObject::Close),
                     });
}

BpfObject::BpfObject(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BpfObject>(info) {}

BpfObject::~BpfObject() { Release(); }

void BpfObject::Release() {
  for (int fd : links_) close(fd);
  links_.clear();
  if (obj_ != nullptr) bpf_object__close(obj_);
  obj_ = nullptr;
  loaded_ = false;
}

bpf_map* BpfObject::FindMap(const Napi::Value& name) {
  if (obj_ == nullptr || !name.IsString()) return nullptr;
  return bpf_object__find_map_by_name(obj_, name.As<Napi::String>().Utf8Value().c_str());
}

int BpfObject::ProgFd(const Napi::Value& name) {
  if (obj_ == nullptr || !loaded_) return -EBADF;
  if (!name.IsString()) return -EINVAL;
  bpf_program* prog = bpf_object__find_program_by_name(obj_, name.As<Napi::String>().Utf8Value().c_str());
  if (prog == nullptr) return -ENOENT;
  return bpf_program__fd(prog);
}

// open(path) -> 0 | -errno
Napi::Value BpfObject::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckArgs(info, 1) || !info[0].IsString()) return Num(env, -EINVAL);
  if (obj_ != nullptr) return Num(env, -EBUSY);
  std::string path = info[0].As<Napi::String>().Utf8Value();
  bpf_object* obj = bpf_object__open_file(path.c_str(), nullptr);
  long err = libbpf_get_error(obj);
  if (err) return Num(env, err < 0 ? err : -err);
  obj_ = obj;
  return Num(env, 0);
}

// setMaxEntries(map, n) -> 0 | -errno (before load only)
Napi::Value BpfObject::SetMaxEntries(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckArgs(info, 2) || !info[1].IsNumber()) return Num(env, -EINVAL);
  if (loaded_) return Num(env, -EBUSY);
  bpf_map* map = FindMap(info[0]);
  if (map == nullptr) return Num(env, -ENOENT);
  return Num(env, bpf_map__set_max_entries(map, info[1].As<Napi::Number>().Uint32Value()));
}

// load() -> 0 | -errno
Napi::Value BpfObject::Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (obj_ == nullptr) return Num(env, -EBADF);
  if (loaded_) return Num(env, -EBUSY);
  int err = bpf_object__load(obj_);
  if (err == 0) loaded_ = true;
  return Num(env, err);
}

// mapInfo(map) -> [fd, type, keySize, valueSize, maxEntries] | -errno
Napi::Value BpfObject::MapInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckArgs(info, 1)) return Num(env, -EINVAL);
  bpf_map* map = FindMap(info[0]);
  if (map == nullptr) return Num(env, -ENOENT);
  Napi::Array out = Napi::Array::New(env, 5);
  out.Set(0u, Num(env, loaded_ ? bpf_map__fd(map) : -1));
  out.Set(1u, Num(env, bpf_map__type(map)));
  out.Set(2u, Num(env, bpf_map__key_size(map)));
  out.Set(3u, Num(env, bpf_map__value_size(map)));
  out.Set(4u, Num(env, bpf_map__max_entries(map)));
  return out;
}

// mapUpdate(map, key, value, flags) -> 0 | -errno
Napi::Value BpfObject::MapUpdate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckArgs(info, 4) || !IsBuffer(info[1]) || !IsBuffer(info[2]) || !info[3].IsNumber())
    return Num(env, -EINVAL);
  bpf_map* map = FindMap(info[0]);
  if (map == nullptr || !loaded_) return Num(env, map == nullptr ? -ENOENT : -EBADF);
  auto key = info[1].As<Napi::Buffer<uint8_t>>();
  auto value = info[2].As<Napi::Buffer<uint8_t>>();
  if (key.Length() != bpf_map__key_size(map) || value.Length() != ValueBytes(map)) return Num(env, -EINVAL);
  int err = bpf_map_update_elem(bpf_map__fd(map), key.Data(), value.Data(),
                                info[3].As<Napi::Number>().Int64Value());
  return Num(env, err < 0 ? -errno : 0);
}

// mapLookup(map, key, out) -> 0 | -errno; out must hold the value (per-CPU maps: 8-byte slots x CPUs)
Napi::Value BpfObject::MapLookup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckArgs(info, 3) || !IsBuffer(info[1]) || !IsBuffer(info[2])) return Num(env, -EINVAL);
  bpf_map* map = FindMap(info[0]);
  if (map == nullptr || !loaded_) return Num(env, map == nullptr ? -ENOENT : -EBADF);
  auto key = info[1].As<Napi::Buffer<uint8_t>>();
  auto out = info[2].As<Napi::Buffer<uint8_t>>();
  if (key.Length() != bpf_map__key_size(map) || out.Length() != ValueBytes(map)) return Num(env, -EINVAL);
  int err = bpf_map_lookup_elem(bpf_map__fd(map), key.Data(), out.Data());
  return Num(env, err < 0 ? -errno : 0);
}

// mapDelete(map, key) -> 0 | -errno
Napi::Value BpfObject::MapDelete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckArgs(info, 2) || !IsBuffer(info[1])) return Num(env, -EINVAL);
  bpf_map* map = FindMap(info[0]);
  if (map == nullptr || !loaded_) return Num(env, map == nullptr ? -ENOENT : -EBADF);
  auto key = info[1].As<Napi::Buffer<uint8_t>>();
  if (key.Length() != bpf_map__key_size(map)) return Num(env, -EINVAL);
  int err = bpf_map_delete_elem(bpf_map__fd(map), key.Data());
  return Num(env, err < 0 ? -errno : 0);
}

// mapNextKey(map, key | null, out) -> 0 | -ENOENT at the end | -errno
Napi::Value BpfObject::MapNextKey(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckArgs(info, 3) || !IsBuffer(info[2])) return Num(env, -EINVAL);
  bpf_map* map = FindMap(info[0]);
  if (map == nullptr || !loaded_) return Num(env, map == nullptr ? -ENOENT : -EBADF);
  auto out = info[2].As<Napi::Buffer<uint8_t>>();
  if (out.Length() != bpf_map__key_size(map)) return Num(env, -EINVAL);
  const void* cur = nullptr;
  if (IsBuffer(info[1])) {
    auto key = info[1].As<Napi::Buffer<uint8_t>>();
    if (key.Length() != bpf_map__key_size(map)) return Num(env, -EINVAL);
    cur = key.Data();
  }
  int err = bpf_map_get_next_key(bpf_map__fd(map), cur, out.Data());
  return Num(env, err < 0 ? -errno : 0);
}

// mapUpdateBatch(map, keys, values, count, flags) -> count updated | -errno
Napi::Value BpfObject::MapUpdateBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckArgs(info, 5) || !IsBuffer(info[1]) || !IsBuffer(info[2]) || !info[3].IsNumber() ||
      !info[4].IsNumber())
    return Num(env, -EINVAL);
  bpf_map* map = FindMap(info[0]);
  if (map == nullptr || !loaded_) return Num(env, map == nullptr ? -ENOENT : -EBADF);
  auto keys = info[1].As<Napi::Buffer<uint8_t>>();
  auto values = info[2].As<Napi::Buffer<uint8_t>>();
  __u32 count = info[3].As<Napi::Number>().Uint32Value();
  if (keys.Length() != static_cast<size_t>(count) * bpf_map__key_size(map) ||
      values.Length() != static_cast<size_t>(count) * ValueBytes(map))
    return Num(env, -EINVAL);
  LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = info[4].As<Napi::Number>().Uint32Value());
  int err = bpf_map_update_batch(bpf_map__fd(map), keys.Data(), values.Data(), &count, &opts);
  return Num(env, err < 0 ? -errno : count);
}

// attachXdp(prog, ifindex, xdpFlags) -> link fd | -errno. The link lives until detachXdp/close/exit.
Napi::Value BpfObject::AttachXdp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckArgs(info, 3) || !info[1].IsNumber() || !info[2].IsNumber()) return Num(env, -EINVAL);
  int prog_fd = ProgFd(info[0]);
  if (prog_fd < 0) return Num(env, prog_fd);
  LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = info[2].As<Napi::Number>().Uint32Value());
  int fd = bpf_link_create(prog_fd, info[1].As<Napi::Number>().Int32Value(), BPF_XDP, &opts);
  if (fd < 0) return Num(env, -errno);
  links_.insert(fd);
  return Num(env, fd);
}

// detachXdp(linkFd) -> 0 | -errno (only links this object created)
Napi::Value BpfObject::DetachXdp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckArgs(info, 1) || !info[0].IsNumber()) return Num(env, -EINVAL);
  int fd = info[0].As<Napi::Number>().Int32Value();
  if (links_.erase(fd) == 0) return Num(env, -ENOENT);
  return Num(env, close(fd) < 0 ? -errno : 0);
}

// testRun(prog, dataIn, dataOut, repeat) -> [retval, dataSizeOut, durationNs] | -errno
Napi::Value BpfObject::TestRun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckArgs(info, 4) || !IsBuffer(info[1]) || !IsBuffer(info[2]) || !info[3].IsNumber())
    return Num(env, -EINVAL);
  int prog_fd = ProgFd(info[0]);
  if (prog_fd < 0) return Num(env, prog_fd);
  auto in = info[1].As<Napi::Buffer<uint8_t>>();
  auto out = info[2].As<Napi::Buffer<uint8_t>>();
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in.Data(), .data_out = out.Data(),
              .data_size_in = static_cast<__u32>(in.Length()), .data_size_out = static_cast<__u32>(out.Length()),
              .repeat = info[3].As<Napi::Number>().Int32Value());
  int err = bpf_prog_test_run_opts(prog_fd, &opts);
  if (err < 0) return Num(env, -errno);
  Napi::Array res = Napi::Array::New(env, 3);
  res.Set(0u, Num(env, opts.retval));
  res.Set(1u, Num(env, opts.data_size_out));
  res.Set(2u, Num(env, opts.duration));
  return res;
}

// progId(prog) -> kernel program id | -errno (to recognise our program on an interface)
Napi::Value BpfObject::ProgId(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckArgs(info, 1)) return Num(env, -EINVAL);
  int prog_fd = ProgFd(info[0]);
  if (prog_fd < 0) return Num(env, prog_fd);
  bpf_prog_info pinfo = {};
  __u32 len = sizeof(pinfo);
  if (bpf_obj_get_info_by_fd(prog_fd, &pinfo, &len) < 0) return Num(env, -errno);
  return Num(env, pinfo.id);
}

// close(): detaches our links and frees programs and maps. Idempotent.
Napi::Value BpfObject::Close(const Napi::CallbackInfo& info) {
  Release();
  return info.Env().Undefined();
}

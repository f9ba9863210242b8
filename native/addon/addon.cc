// edgens_fastpath: node-addon-api binding over the system libbpf. Loaded by src/fastpath/native-addon.ts.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <unistd.h>
#include <napi.h>

#include <cstdarg>
#include <cstdio>
#include <string>

#include "bpf-object.h"

namespace {

// libbpf's log (verifier output on load failures) is kept so TypeScript can attach it to the error.
std::string g_log;
constexpr size_t kMaxLog = 64 * 1024;

int CollectLog(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char buf[1024];
  int n = vsnprintf(buf, sizeof(buf), fmt, args);
  if (n > 0 && g_log.size() < kMaxLog) g_log.append(buf, std::min(static_cast<size_t>(n), sizeof(buf) - 1));
  return 0;
}

// takeLog() -> string: libbpf messages since the last call.
Napi::Value TakeLog(const Napi::CallbackInfo& info) {
  Napi::String s = Napi::String::New(info.Env(), g_log);
  g_log.clear();
  return s;
}

// ifNameToIndex(name) -> ifindex | -errno
Napi::Value IfNameToIndex(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) return Napi::Number::New(env, -EINVAL);
  unsigned idx = if_nametoindex(info[0].As<Napi::String>().Utf8Value().c_str());
  return Napi::Number::New(env, idx == 0 ? -errno : static_cast<double>(idx));
}

// xdpQuery(ifindex) -> [progId, attachMode] | -errno (attachMode: 0 none, 1 drv, 2 skb, 3 hw, 4 multi)
Napi::Value XdpQuery(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return Napi::Number::New(env, -EINVAL);
  LIBBPF_OPTS(bpf_xdp_query_opts, opts);
  int err = bpf_xdp_query(info[0].As<Napi::Number>().Int32Value(), 0, &opts);
  if (err < 0) return Napi::Number::New(env, err);
  Napi::Array res = Napi::Array::New(env, 2);
  res.Set(0u, Napi::Number::New(env, opts.prog_id));
  res.Set(1u, Napi::Number::New(env, opts.attach_mode));
  return res;
}

// enterNetns(path) -> fd of the previous netns | -errno. Moves only the calling (main JS) thread, so that
// if_nametoindex and XDP attach address interfaces of that namespace; leaveNetns must follow at once.
Napi::Value EnterNetns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) return Napi::Number::New(env, -EINVAL);
  int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) return Napi::Number::New(env, -errno);
  int target = open(info[0].As<Napi::String>().Utf8Value().c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0 || setns(target, CLONE_NEWNET) < 0) {
    int err = errno;
    if (target >= 0) close(target);
    close(self);
    return Napi::Number::New(env, -err);
  }
  close(target);
  return Napi::Number::New(env, self);
}

// leaveNetns(fd) -> 0 | -errno: back to the namespace enterNetns returned; closes fd.
Napi::Value LeaveNetns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return Napi::Number::New(env, -EINVAL);
  int fd = info[0].As<Napi::Number>().Int32Value();
  int err = setns(fd, CLONE_NEWNET) < 0 ? -errno : 0;
  close(fd);
  return Napi::Number::New(env, err);
}

Napi::Value NumPossibleCpus(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), libbpf_num_possible_cpus());
}

Napi::Value LibbpfVersion(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), libbpf_version_string());
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  libbpf_set_print(CollectLog);
  exports.Set("BpfObject", BpfObject::Define(env));
  exports.Set("takeLog", Napi::Function::New(env, TakeLog));
  exports.Set("ifNameToIndex", Napi::Function::New(env, IfNameToIndex));
  exports.Set("xdpQuery", Napi::Function::New(env, XdpQuery));
  exports.Set("enterNetns", Napi::Function::New(env, EnterNetns));
  exports.Set("leaveNetns", Napi::Function::New(env, LeaveNetns));
  exports.Set("numPossibleCpus", Napi::Function::New(env, NumPossibleCpus));
  exports.Set("libbpfVersion", Napi::Function::New(env, LibbpfVersion));
  return exports;
}

}  // namespace

NODE_API_MODULE(edgens_fastpath, Init)

/*
 * tsqemu_v8: V8's compiled code of a wasm module kept between processes (issue 18: the
 * interpreter's TurboFan compile, 0.1-0.4 s of CPU, was repeated by every tsqemu-riscv64 process).
 * V8's C++ API only: Node 20 has no JavaScript way to serialize a WebAssembly.Module's code
 * (v8.serialize writes a transfer id) or to start a streaming compile from cached code.
 *   serialize(module): an ArrayBuffer of V8's serialized code of `module`
 *     (CompiledWasmModule::Serialize: TurboFan code; functions without it are written as lazy).
 *   compileCached(wire, code): a Promise of a WebAssembly.Module of the wire bytes `wire`, its
 *     code taken from `code` (an earlier serialize()) when V8 accepts it: V8 checks its own
 *     header (version, CPU features, flag hash) and falls back to compiling `wire` itself.
 *     Through WebAssembly.compileStreaming, whose embedder callback this sets: the one API that
 *     takes compiled module bytes (WasmStreaming::SetCompiledModuleBytes). The process makes no
 *     other streaming compile (Node's own callback, for fetch Responses, is replaced).
 *   lastCompileUsedCode(): whether V8 took the code of the last compileCached.
 *   externalLatin1(view): a string of the bytes of `view` (Latin-1, not copied: V8 reads them
 *     where they are, the view's memory kept alive by the string). The main script's 0.9 MB
 *     text was a read buffer and a copy of it in V8's heap (code-cache.ts readAsciiScript).
 *     The caller never writes to those bytes again.
 * The addon is built against the running Node's V8 headers (node-gyp), so it is never loaded
 * into another V8.
 */
#include <node.h>
#include <v8.h>
#include <cstring>
#include <memory>

namespace {

using v8::ArrayBuffer;
using v8::ArrayBufferView;
using v8::Context;
using v8::Function;
using v8::FunctionCallbackInfo;
using v8::Isolate;
using v8::Local;
using v8::Object;
using v8::Value;

struct Pending {
  std::unique_ptr<uint8_t[]> wire, code;
  size_t wireLen = 0, codeLen = 0;
};
// Bytes of the compile in flight (compileStreaming calls its callback from a microtask), per
// thread; V8 may read the code bytes until Finish returns.
thread_local Pending pending;
thread_local bool lastUsed = false;

bool copyView(Local<Value> v, std::unique_ptr<uint8_t[]>& dst, size_t& len) {
  if (!v->IsArrayBufferView()) return false;
  Local<ArrayBufferView> a = v.As<ArrayBufferView>();
  len = a->ByteLength();
  dst.reset(new uint8_t[len ? len : 1]);
  a->CopyContents(dst.get(), len);
  return true;
}

void Streaming(const FunctionCallbackInfo<Value>& info) {
  std::shared_ptr<v8::WasmStreaming> s = v8::WasmStreaming::Unpack(info.GetIsolate(), info.Data());
  lastUsed = pending.code && s->SetCompiledModuleBytes(pending.code.get(), pending.codeLen);
  s->OnBytesReceived(pending.wire.get(), pending.wireLen);
  s->Finish(true);
  pending = Pending();  // V8 has copied the wire bytes and deserialized (or refused) the code
}

void Serialize(const FunctionCallbackInfo<Value>& info) {
  Isolate* iso = info.GetIsolate();
  if (info.Length() < 1 || !info[0]->IsWasmModuleObject()) return;
  v8::CompiledWasmModule cm = info[0].As<v8::WasmModuleObject>()->GetCompiledModule();
  v8::OwnedBuffer b = cm.Serialize();
  Local<ArrayBuffer> ab = ArrayBuffer::New(iso, b.size);
  if (b.size) memcpy(ab->Data(), b.buffer.get(), b.size);
  info.GetReturnValue().Set(ab);
}

void CompileCached(const FunctionCallbackInfo<Value>& info) {
  Isolate* iso = info.GetIsolate();
  Local<Context> ctx = iso->GetCurrentContext();
  Pending p;
  if (info.Length() < 2 || !copyView(info[0], p.wire, p.wireLen)) return;
  copyView(info[1], p.code, p.codeLen);
  pending = std::move(p);
  lastUsed = false;
  iso->SetWasmStreamingCallback(Streaming);
  Local<Value> wasm, fn, result;
  if (!ctx->Global()->Get(ctx, v8::String::NewFromUtf8Literal(iso, "WebAssembly")).ToLocal(&wasm) || !wasm->IsObject()) return;
  if (!wasm.As<Object>()->Get(ctx, v8::String::NewFromUtf8Literal(iso, "compileStreaming")).ToLocal(&fn) || !fn->IsFunction()) return;
  Local<Value> arg = v8::Undefined(iso);
  if (fn.As<Function>()->Call(ctx, wasm, 1, &arg).ToLocal(&result)) info.GetReturnValue().Set(result);
}

// Owns a reference to the bytes' backing store: they live as long as the string does.
class BackedLatin1 : public v8::String::ExternalOneByteStringResource {
 public:
  BackedLatin1(std::shared_ptr<v8::BackingStore> store, const char* data, size_t len)
      : store_(std::move(store)), data_(data), len_(len) {}
  const char* data() const override { return data_; }
  size_t length() const override { return len_; }

 private:
  std::shared_ptr<v8::BackingStore> store_;
  const char* data_;
  size_t len_;
};

void ExternalLatin1(const FunctionCallbackInfo<Value>& info) {
  Isolate* iso = info.GetIsolate();
  if (info.Length() < 1 || !info[0]->IsArrayBufferView()) return;
  Local<ArrayBufferView> a = info[0].As<ArrayBufferView>();
  std::shared_ptr<v8::BackingStore> store = a->Buffer()->GetBackingStore();
  size_t len = a->ByteLength();
  if (!store->Data() || len == 0 || len > static_cast<size_t>(v8::String::kMaxLength)) return;
  const char* data = static_cast<const char*>(store->Data()) + a->ByteOffset();
  auto* res = new BackedLatin1(store, data, len);
  Local<v8::String> str;
  if (!v8::String::NewExternalOneByte(iso, res).ToLocal(&str)) { delete res; return; }
  info.GetReturnValue().Set(str);
}

void LastCompileUsedCode(const FunctionCallbackInfo<Value>& info) {
  info.GetReturnValue().Set(lastUsed);
}

}  // namespace

NODE_MODULE_INIT() {
  NODE_SET_METHOD(exports, "serialize", Serialize);
  NODE_SET_METHOD(exports, "compileCached", CompileCached);
  NODE_SET_METHOD(exports, "lastCompileUsedCode", LastCompileUsedCode);
  NODE_SET_METHOD(exports, "externalLatin1", ExternalLatin1);
}

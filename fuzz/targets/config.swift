// libFuzzer target: the configuration loader (JSON parsing, unknown keys, types, ranges, paths, URLs).
import WatcherConfig

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? ConfigurationLoader.parse(bytes, configFile: "/nonexistent/fuzz/wechatpay-watcher.json")
    return 0
}

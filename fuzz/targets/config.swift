// libFuzzer target: the configuration loader (JSON parsing, unknown keys, types, ranges, paths, URLs), and the
// encoder on every configuration it accepts.
// Input: a configuration file.
import WatcherConfig

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let loaded = try ConfigurationLoader.parse(bytes, configFile: "/nonexistent/fuzz/wechatpay-watcher.json")
        _ = ConfigurationLoader.encode(loaded.configuration)
    } catch {
        _ = error.problems.count
    }
    return 0
}

import Foundation

/// Loads the daemon's JSON configuration file, checks every key and value, and reports all problems at once.
///
/// Only shape and values are checked: key files and the database are opened by the modules that use them.
package enum ConfigurationLoader {
    /// Reads and validates the file at `path`, which may be relative to the current directory; the returned
    /// configuration's `configFile` is absolute.
    package static func load(path: String) throws(ConfigError) -> LoadedConfiguration {
        let configFile = PathRules.absolute(path, relativeTo: FileManager.default.currentDirectoryPath)
        guard !path.isEmpty else { throw ConfigError(file: configFile, problems: ["the configuration path is empty"]) }
        switch FileReader.contents(of: configFile) {
        case .success(let bytes): return try parse(bytes, configFile: configFile)
        case .failure(let problem): throw ConfigError(file: configFile, problems: [problem.text])
        }
    }

    /// Validates the contents of a configuration file. `configFile` is the absolute path relative paths in the
    /// file are resolved against; it is also named in errors.
    package static func parse(_ bytes: [UInt8], configFile: String) throws(ConfigError) -> LoadedConfiguration {
        let configFile = PathRules.absolute(configFile, relativeTo: FileManager.default.currentDirectoryPath)
        let root: JSONValue
        switch JSONDocument.parse(bytes) {
        case .success(let value): root = value
        case .failure(let problem): throw ConfigError(file: configFile, problems: [problem.text])
        }
        let diagnostics = Diagnostics()
        if let warning = JSONDocument.duplicateKeyWarning(bytes) { diagnostics.warning(warning) }
        let configuration = ConfigurationReader(configFile: configFile, diagnostics: diagnostics).read(root)
        guard let configuration, diagnostics.problems.isEmpty else {
            throw ConfigError(file: configFile, problems: diagnostics.problems)
        }
        return LoadedConfiguration(configuration: configuration, warnings: diagnostics.warnings)
    }

    /// The configuration as a pretty-printed file with every key, optional ones included; paths are written
    /// as stored. Used to write the simulator's and the demo's configurations.
    package static func encode(_ configuration: WatcherConfiguration) -> String {
        ConfigurationEncoder.encode(configuration)
    }
}

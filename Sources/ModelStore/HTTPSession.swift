import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A response's status and headers (names lowercased), and the URL that answered after redirects.
struct HTTPHead: Sendable {
    var status: Int
    var headers: [String: String]
    var url: URL

    init(_ response: HTTPURLResponse) {
        status = response.statusCode
        url = response.url ?? URL(fileURLWithPath: "/")
        var lowered = [String: String]()
        for (name, value) in response.allHeaderFields {
            if let name = name as? String, let value = value as? String { lowered[name.lowercased()] = value }
        }
        headers = lowered
    }

    subscript(_ name: String) -> String? { headers[name.lowercased()] }
}

/// Why an HTTP exchange produced no usable response.
enum TransferFailure: Error {
    /// Nothing arrived for the idle timeout.
    case timedOut(host: String, seconds: Double)
    /// The host could not be reached at all (DNS, refused, TLS).
    case unreachable(host: String, reason: String)
    /// The connection broke or the server misbehaved mid-exchange; worth retrying.
    case broken(String)
    /// Writing what arrived failed (disk full, permissions): not worth retrying.
    case sink(Error)
    /// A redirect that is not followed (not http(s), or too many hops); says why.
    case refusedRedirect(String)
    /// The body went on past the size the server announced.
    case tooLong(host: String, announced: Int64)
}

/// A thin synchronous layer over URLSession (libcurl underneath on Linux, so HTTPS, proxies and HTTP/1.1
/// keep-alive come for free). Bodies stream to a closure; an idle watchdog of our own enforces the timeout,
/// because URLSession's request timeout is not reliably reset by arriving data on every platform;
/// `Authorization` never follows a redirect to another host (the Hub sends LFS files to a CDN); and a redirect
/// is followed only to an http(s) address, at most `maximumRedirects` times per request.
final class HTTPSession: @unchecked Sendable {
    /// Hops one request may take; the Hub needs one (to the CDN), a renamed repository one more.
    static let maximumRedirects = 10

    /// Why a redirect to `url`, after `hops` earlier ones, is not followed; nil when it may be.
    static func refusal(redirectingTo url: URL?, hops: Int) -> String? {
        let target = CacheNames.readable(url?.absoluteString ?? "an unreadable address")
        guard ["http", "https"].contains(url?.scheme?.lowercased() ?? ""), url?.host?.isEmpty == false else {
            return "the server redirected to \(target), which is not an http:// or https:// address"
        }
        guard hops < maximumRedirects else {
            return "the server redirected more than \(maximumRedirects) times (a redirect loop?), the last time to \(target)"
        }
        return nil
    }

    private let session: URLSession
    private let delegate: SessionDelegate
    /// Seconds without any response bytes before a request is abandoned.
    let idleTimeout: TimeInterval

    init(idleTimeout: TimeInterval, userAgent: String = "bertscope (URLSession)") {
        self.idleTimeout = idleTimeout
        let configuration = URLSessionConfiguration.ephemeral
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        // Our watchdog handles idleness; these only stop a request that somehow escapes it.
        configuration.timeoutIntervalForRequest = max(idleTimeout * 4, 300)
        configuration.timeoutIntervalForResource = 7 * 24 * 3600
        configuration.httpAdditionalHeaders = ["User-Agent": userAgent]
        delegate = SessionDelegate()
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
    }

    deinit { session.invalidateAndCancel() }

    /// HEAD `url`, following only relative redirects (a renamed repository); a redirect elsewhere (the CDN
    /// holding an LFS file) is returned as the response so its headers and Location can be read.
    func head(_ url: URL, headers: [String: String]) throws -> HTTPHead {
        let exchange = Exchange(redirects: .relativeOnly, receive: { _, _ in })
        return try run(request(url, method: "HEAD", headers: headers), exchange, tick: {})
    }

    /// GET `url`, following redirects, streaming a 2xx body to `receive` (on a background queue, in order);
    /// other statuses' bodies are dropped. `tick` runs on the calling thread about ten times a second.
    func get(_ url: URL, headers: [String: String], receive: @escaping @Sendable (HTTPHead, Data) throws -> Void, tick: () -> Void) throws -> HTTPHead {
        let exchange = Exchange(redirects: .all, receive: receive)
        return try run(request(url, method: "GET", headers: headers), exchange, tick: tick)
    }

    private func request(_ url: URL, method: String, headers: [String: String]) -> URLRequest {
        var request = URLRequest(url: url)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        return request
    }

    private func run(_ request: URLRequest, _ exchange: Exchange, tick: () -> Void) throws -> HTTPHead {
        let task = session.dataTask(with: request)
        delegate.register(exchange, for: task.taskIdentifier)
        defer { delegate.unregister(task.taskIdentifier) }
        task.resume()
        let host = request.url?.host ?? "the server"
        while exchange.done.wait(timeout: .now() + 0.1) == .timedOut {
            tick()
            // The sink refused a chunk (a body past its announced size, a full disk): URLSession on Linux does
            // not always finish a task cancelled from its delegate, so this does not wait for it.
            if exchange.sinkFailed {
                task.cancel()
                return try exchange.result(host: host)
            }
            if exchange.secondsSinceActivity > idleTimeout {
                exchange.markTimedOut()
                task.cancel()
                _ = exchange.done.wait(timeout: .now() + 5)
                throw TransferFailure.timedOut(host: exchange.currentHost ?? host, seconds: idleTimeout)
            }
        }
        tick()
        return try exchange.result(host: host)
    }
}

/// One request's state, shared between the delegate queue and the waiting caller.
private final class Exchange: @unchecked Sendable {
    enum Redirects { case relativeOnly, all }

    let redirects: Redirects
    let receive: @Sendable (HTTPHead, Data) throws -> Void
    let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var response: HTTPURLResponse?
    private var head: HTTPHead?
    private var error: Error?
    private var sinkError: Error?
    private var lastActivity = Date()
    private var timedOut = false
    private var redirectRefusal: String?
    private(set) var hops = 0
    private(set) var currentHost: String?

    init(redirects: Redirects, receive: @escaping @Sendable (HTTPHead, Data) throws -> Void) {
        self.redirects = redirects
        self.receive = receive
    }

    var secondsSinceActivity: TimeInterval { lock.withLock { Date().timeIntervalSince(lastActivity) } }

    func touch() { lock.withLock { lastActivity = Date() } }

    func markTimedOut() { lock.withLock { timedOut = true } }

    func received(_ response: HTTPURLResponse) {
        lock.withLock {
            self.response = response
            head = HTTPHead(response)
            currentHost = response.url?.host
            lastActivity = Date()
        }
    }

    func redirected(to host: String?) { lock.withLock { hops += 1; currentHost = host; lastActivity = Date() } }

    func refuseRedirect(_ reason: String) { lock.withLock { redirectRefusal = reason } }

    var sinkFailed: Bool { lock.withLock { sinkError != nil } }

    /// Delivers body bytes of a 2xx response; returns false when the transfer must stop.
    func deliver(_ data: Data) -> Bool {
        let head = lock.withLock { () -> HTTPHead? in
            lastActivity = Date()
            return self.head
        }
        guard let head, (200..<300).contains(head.status) else { return true }
        do {
            try receive(head, data)
            return true
        } catch {
            lock.withLock { sinkError = error }
            return false
        }
    }

    func completed(_ error: Error?, response: URLResponse?) {
        lock.withLock {
            self.error = error
            if let http = response as? HTTPURLResponse { self.response = http }
        }
        done.signal()
    }

    func result(host: String) throws -> HTTPHead {
        try lock.withLock {
            if let sinkError { throw sinkError as? TransferFailure ?? TransferFailure.sink(sinkError) }
            if let redirectRefusal { throw TransferFailure.refusedRedirect(redirectRefusal) }
            if timedOut { throw TransferFailure.timedOut(host: currentHost ?? host, seconds: 0) }
            if let error { throw Exchange.failure(error, host: currentHost ?? host) }
            guard let response else { throw TransferFailure.broken("no response") }
            return HTTPHead(response)
        }
    }

    static func failure(_ error: Error, host: String) -> TransferFailure {
        let nsError = error as NSError
        guard nsError.domain == NSURLErrorDomain else { return .broken(nsError.localizedDescription) }
        switch nsError.code {
        case NSURLErrorTimedOut:
            return .timedOut(host: host, seconds: 0)
        case NSURLErrorCannotFindHost, NSURLErrorDNSLookupFailed:
            return .unreachable(host: host, reason: "the name does not resolve")
        case NSURLErrorCannotConnectToHost:
            return .unreachable(host: host, reason: "the connection was refused")
        case NSURLErrorNotConnectedToInternet:
            return .unreachable(host: host, reason: "no network")
        case NSURLErrorSecureConnectionFailed, NSURLErrorServerCertificateUntrusted, NSURLErrorServerCertificateHasBadDate,
             NSURLErrorServerCertificateNotYetValid, NSURLErrorServerCertificateHasUnknownRoot, NSURLErrorClientCertificateRejected:
            return .unreachable(host: host, reason: "the TLS handshake failed (\(nsError.localizedDescription))")
        case NSURLErrorNetworkConnectionLost:
            return .broken("the connection was closed")
        case NSURLErrorUnknown where nsError.localizedDescription == "Out of memory":
            // libcurl's answer to a header line over its 100 kB limit, as well as to a real shortage.
            return .broken("libcurl could not take in the answer (“Out of memory”, which it also says for a header over 100 kB)")
        default:
            return .broken(nsError.localizedDescription)
        }
    }
}

/// Routes URLSession callbacks to the exchange of each task.
private final class SessionDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let lock = NSLock()
    private var exchanges: [Int: Exchange] = [:]

    func register(_ exchange: Exchange, for task: Int) { lock.withLock { exchanges[task] = exchange } }
    func unregister(_ task: Int) { _ = lock.withLock { exchanges.removeValue(forKey: task) } }
    private func exchange(_ task: URLSessionTask) -> Exchange? { lock.withLock { exchanges[task.taskIdentifier] } }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
        if let http = response as? HTTPURLResponse { exchange(dataTask)?.received(http) }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard let exchange = exchange(dataTask) else { return }
        if !exchange.deliver(data) { dataTask.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        guard let exchange = exchange(task) else { return completionHandler(nil) }
        // The Location as sent: URLSession on Linux turns `file:///x` into a request for /x on the same host.
        let location = response.value(forHTTPHeaderField: "Location") ?? ""
        let target = URL(string: location, relativeTo: response.url)?.absoluteURL
        if let refusal = HTTPSession.refusal(redirectingTo: target, hops: exchange.hops)
            ?? HTTPSession.refusal(redirectingTo: request.url, hops: exchange.hops) {
            exchange.refuseRedirect(refusal)
            return completionHandler(nil)
        }
        // A Location without a scheme (`/new-name/resolve/…`) is relative; `file:///…` has no host but is not.
        let isRelative = URL(string: location)?.scheme == nil
        if exchange.redirects == .relativeOnly && !isRelative {
            return completionHandler(nil)
        }
        var next = request
        if next.url?.host != task.originalRequest?.url?.host || next.url?.port != task.originalRequest?.url?.port {
            next.setValue(nil, forHTTPHeaderField: "Authorization")
        }
        if task.originalRequest?.httpMethod == "HEAD" { next.httpMethod = "HEAD" }
        exchange.redirected(to: next.url?.host)
        completionHandler(next)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        exchange(task)?.completed(error, response: task.response)
    }
}

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
}

/// A thin synchronous layer over URLSession (libcurl underneath on Linux, so HTTPS, proxies and HTTP/1.1
/// keep-alive come for free). Bodies stream to a closure; an idle watchdog of our own enforces the timeout,
/// because URLSession's request timeout is not reliably reset by arriving data on every platform; and
/// `Authorization` never follows a redirect to another host (the Hub sends LFS files to a CDN).
final class HTTPSession: @unchecked Sendable {
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

    /// HEAD `url`, following only relative redirects (a renamed repository); a redirect to another host (the
    /// CDN holding an LFS file) is returned as the response so its headers and Location can be read.
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

    func redirected(to host: String?) { lock.withLock { currentHost = host; lastActivity = Date() } }

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
            if let sinkError { throw TransferFailure.sink(sinkError) }
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
        guard let exchange = exchange(task) else { return completionHandler(request) }
        let location = response.value(forHTTPHeaderField: "Location") ?? ""
        let isRelative = URL(string: location)?.host == nil
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

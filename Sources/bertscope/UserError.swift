/// A failure to report to the user as one clear line, without a stack trace.
struct UserError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

// Coordinator test helpers over TestSupport's raw HTTP client.
import Foundation
import TestSupport

/// One request with a body and headers on a fresh connection (`Connection: close`).
func http(_ port: UInt16, _ method: String, _ path: String, token: String? = nil, body: [UInt8]? = nil,
          headers: [String: String] = [:]) throws -> RawResponse {
    var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    if let token { head += "Authorization: Bearer \(token)\r\n" }
    for (name, value) in headers { head += "\(name): \(value)\r\n" }
    if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
    head += "\r\n"
    let connection = try RawConnection(port: port, receiveTimeout: 30)
    connection.send(Array(head.utf8) + (body ?? []))
    guard let response = connection.readResponse() else {
        throw RawClientError(description: "no response to \(method) \(path)")
    }
    return response
}

extension RawResponse {
    /// The `error.code` of a contract error body.
    var errorCode: String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let error = object["error"] as? [String: Any] else { return nil }
        return error["code"] as? String
    }
    var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] }
}

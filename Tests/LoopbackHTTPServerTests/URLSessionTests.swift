import Foundation
import FoundationNetworking
import LoopbackHTTPServer
import Testing

@Suite("Against URLSession")
struct URLSessionTests {
    private func session() -> URLSession {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 32
        configuration.timeoutIntervalForRequest = 10
        return URLSession(configuration: configuration)
    }

    @Test("200 concurrent requests all succeed")
    func concurrentRequests() async throws {
        let server = try startServer()
        defer { server.stop() }
        let session = session()
        defer { session.finishTasksAndInvalidate() }
        let origin = server.origin
        let statuses = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for index in 0..<200 {
                group.addTask {
                    let url = URL(string: "\(origin)/v3/items/\(index)?brand_id=\(index)")!
                    let (data, response) = try await session.data(from: url)
                    return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses.count == 200)
        #expect(statuses.allSatisfy { $0.0 == 200 })
        #expect(Set(statuses.map(\.1)).count == 200)
        #expect(server.requestsHandled == 200)
        #expect(server.connectionsAccepted <= 200)
    }

    @Test("a reset connection is an error, not a response")
    func resetIsAnError() async throws {
        let server = try startServer { _ in HTTPServerResponse(status: 200, behaviour: .resetConnection) }
        defer { server.stop() }
        let session = session()
        defer { session.invalidateAndCancel() }
        await #expect(throws: URLError.self) {
            _ = try await session.data(from: URL(string: "\(server.origin)/")!)
        }
    }

    @Test("a POST body and headers arrive intact")
    func postBody() async throws {
        let recorder = RequestRecorder()
        let server = try startServer { request in
            recorder.record(request)
            return .json(200, request.bodyText)
        }
        defer { server.stop() }
        let session = session()
        defer { session.finishTasksAndInvalidate() }
        var request = URLRequest(url: URL(string: "\(server.origin)/v3/x")!)
        request.httpMethod = "POST"
        request.setValue("WECHATPAY2-SHA256-RSA2048 mchid=\"1900000001\"", forHTTPHeaderField: "Authorization")
        request.httpBody = Data(#"{"out_request_no":"1"}"#.utf8)
        let (data, response) = try await session.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: data, as: UTF8.self) == #"{"out_request_no":"1"}"#)
        #expect(recorder.all.first?.header("authorization") == "WECHATPAY2-SHA256-RSA2048 mchid=\"1900000001\"")
    }
}

import Foundation
import LoopbackHTTPServer

/// A resource in the admin API's JSON: what a test registers, and what it reads back.
package struct SimulatedResourceDocument: Codable, Sendable, Equatable {
    /// `image_generation_task` or `product_coupon`.
    package var api: SimulatedAPI
    /// The merchant.
    package var mchid: String
    /// The task or coupon id.
    package var id: String
    /// The brand.
    package var brandID: String
    /// For tasks.
    package var imageGenerationType: String?
    /// Unix seconds; absent = now.
    package var createdAt: Double?
    /// Seconds until the final state.
    package var durationSeconds: Double
    /// `success` or `failure`.
    package var outcome: SimulatedOutcome
    /// 404 until this many seconds after creation.
    package var visibleAfterSeconds: Double?
    /// Read back: the final state.
    package var finalState: String?
    /// Read back: when it completes, unix seconds.
    package var completesAt: Double?
    /// Read back: the image URL of a successful task.
    package var imageURL: String?

    enum CodingKeys: String, CodingKey {
        case api, mchid, id, outcome
        case brandID = "brand_id"
        case imageGenerationType = "image_generation_type"
        case createdAt = "created_at"
        case durationSeconds = "duration_seconds"
        case visibleAfterSeconds = "visible_after_seconds"
        case finalState = "final_state"
        case completesAt = "completes_at"
        case imageURL = "image_url"
    }

    /// The document of a resource.
    package init(_ resource: SimulatedResource) {
        api = resource.api
        mchid = resource.mchid
        id = resource.id
        brandID = resource.brandID
        imageGenerationType = resource.imageGenerationType
        createdAt = resource.createdAt.timeIntervalSince1970
        durationSeconds = resource.duration
        outcome = resource.outcome
        visibleAfterSeconds = resource.visibleAt.map { $0.timeIntervalSince(resource.createdAt) }
        finalState = resource.finalState
        completesAt = resource.completesAt.timeIntervalSince1970
        imageURL = resource.api == .imageGenerationTask && resource.outcome == .success ? resource.imageURL : nil
    }

    /// The resource it describes.
    package func resource(now: Date) -> SimulatedResource {
        let created = createdAt.map { Date(timeIntervalSince1970: $0) } ?? now
        return SimulatedResource(
            api: api,
            mchid: mchid,
            id: id,
            brandID: brandID,
            imageGenerationType: imageGenerationType,
            createdAt: created,
            duration: durationSeconds,
            outcome: outcome,
            visibleAt: visibleAfterSeconds.map { created.addingTimeInterval($0) }
        )
    }
}

/// The fault plan in the admin API's JSON.
struct FaultDocument: Codable {
    var probabilities: [String: Double]
    var slowAnswerSeconds: Double?

    enum CodingKeys: String, CodingKey {
        case probabilities
        case slowAnswerSeconds = "slow_answer_seconds"
    }
}

extension WeChatPaySimulator {
    /// `GET /_sim/stats`, `GET|POST /_sim/resources`, `PUT /_sim/faults`, `POST /_sim/reset`: unsigned control of
    /// the simulator for scripts and for tests that run it as a separate process.
    func handleAdmin(_ request: HTTPServerRequest) -> HTTPServerResponse {
        do {
            switch (request.method, request.path) {
            case ("GET", "/_sim/stats"):
                return try Self.encoded(statistics())
            case ("GET", "/_sim/resources"):
                return try Self.encoded(resources.map(SimulatedResourceDocument.init).sorted { $0.id < $1.id })
            case ("POST", "/_sim/resources"):
                let documents = try JSONDecoder().decode([SimulatedResourceDocument].self, from: Data(request.body))
                let now = Date()
                register(documents.map { $0.resource(now: now) })
                return .json(201, "{\"registered\":\(documents.count)}")
            case ("PUT", "/_sim/faults"):
                let document = try JSONDecoder().decode(FaultDocument.self, from: Data(request.body))
                var plan = FaultPlan(slowAnswerSeconds: document.slowAnswerSeconds ?? 1.5)
                for (name, probability) in document.probabilities {
                    guard let fault = Fault(rawValue: name) else {
                        return .json(
                            400,
                            "{\"error\":\"unknown fault \(name); known: \(Fault.allCases.map(\.rawValue).joined(separator: ", "))\"}"
                        )
                    }
                    plan.probabilities[fault] = probability
                }
                setFaults(plan)
                return .json(200, "{\"ok\":true}")
            case ("POST", "/_sim/reset"):
                resetStatistics()
                return .json(200, "{\"ok\":true}")
            default:
                return .json(404, "{\"error\":\"unknown admin endpoint \(request.method) \(request.path)\"}")
            }
        } catch {
            return .json(400, "{\"error\":\"\(String(describing: error).replacingOccurrences(of: "\"", with: "'"))\"}")
        }
    }

    private static func encoded(_ value: some Encodable) throws -> HTTPServerResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return HTTPServerResponse(
            status: 200,
            headers: [HTTPServerHeader("Content-Type", "application/json")],
            body: Array(try encoder.encode(value))
        )
    }
}

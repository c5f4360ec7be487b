import Testing

@testable import WatcherEngine

@Suite("Merchant gate: a 401 is confirmed before the merchant pauses")
struct MerchantGateTests {
    let gate = MerchantGate(merchantID: "1900000001", basePause: 30, maximumPause: 300, confirmationPause: 1)

    @Test("a first 401 holds the merchant for the confirmation pause only")
    func firstRejectionConfirms() {
        let event = gate.signatureRejected(now: 10, sentAt: 9.9, reason: "HTTP 401 SIGN_ERROR")
        #expect(event == .confirming(seconds: 1, reason: "HTTP 401 SIGN_ERROR"))
        #expect(gate.admission(now: 10.5) == 11)
        #expect(gate.admission(now: 11) == nil, "one probe may go after the pause")
        #expect(gate.claim(now: 11))
        #expect(gate.admission(now: 11) == 12, "and only one at a time")
        #expect(!gate.claim(now: 11))
    }

    @Test("a second 401 for a request sent after the first arrived pauses, doubling from the base pause")
    func confirmedRejectionPauses() {
        _ = gate.signatureRejected(now: 10, sentAt: 9.9, reason: "first")
        #expect(gate.claim(now: 11))
        #expect(
            gate.signatureRejected(now: 11.1, sentAt: 11, reason: "second")
                == .paused(seconds: 30, attempt: 1, reason: "second"))
        #expect(gate.admission(now: 20) == 41.1)
        #expect(gate.admission(now: 41.1) == nil)
        #expect(gate.claim(now: 41.1))
        #expect(
            gate.signatureRejected(now: 41.2, sentAt: 41.1, reason: "third")
                == .paused(seconds: 60, attempt: 2, reason: "third"))
    }

    @Test("401s of requests already in flight when the first arrived are the same episode: no pause")
    func inFlightRejectionsDoNotConfirm() {
        _ = gate.signatureRejected(now: 10, sentAt: 9.5, reason: "replayed nonce")
        #expect(gate.signatureRejected(now: 10.2, sentAt: 9.8, reason: "replayed nonce") == nil)
        #expect(gate.admission(now: 10.5) == 11, "still only the confirmation pause")
        #expect(gate.claim(now: 11))
        #expect(gate.answered() == .resumed, "the confirming request was answered: the credentials work")
        #expect(gate.admission(now: 11.1) == nil)
    }

    @Test("looking is not claiming: a lane that found nothing due after the pause holds no probe")
    func lookingDoesNotClaim() {
        _ = gate.signatureRejected(now: 10, sentAt: 9.9, reason: "first")
        #expect(gate.admission(now: 11) == nil)
        #expect(gate.admission(now: 30) == nil, "still free for whoever really sends")
        #expect(gate.claim(now: 30))
    }

    @Test("a request that got no answer ends the probe but keeps the pause")
    func failedProbeKeepsPause() {
        _ = gate.signatureRejected(now: 10, sentAt: 9.9, reason: "first")
        #expect(gate.claim(now: 11))
        gate.requestFailed()
        #expect(gate.claim(now: 11.2), "another probe may go at once")
    }

    @Test("verification failures raise an alarm at the threshold, at most once a minute")
    func verificationAlarm() {
        let events = (0..<5).map { gate.verificationFailed(now: Double($0)) }
        #expect(events.compactMap { $0 } == [.verificationAlarm(failuresInLastMinute: 5)])
        #expect(gate.verificationFailed(now: 30) == nil, "no second alarm within the minute")
        #expect(gate.verificationFailed(now: 64.5) == nil, "past the minute, but the five early ones no longer count")
        #expect(gate.verificationFailed(now: 65) == nil)
        #expect(gate.verificationFailed(now: 65.5) == nil)
        #expect(gate.verificationFailed(now: 66) == .verificationAlarm(failuresInLastMinute: 5))
    }
}

import ImageGenerationTasks
import ProductCoupons
import Testing
import WatcherEngine
import WatcherStore

@Suite("RowValidation: the one check of a new row, shared by intake and enqueue")
struct RowValidationTests {
    let merchants: Set<String> = ["1900000001"]

    func row(merchant: String = "1900000001", id: String = "task_0001", brand: String = "120344") -> QueuedRow {
        QueuedRow(
            rowID: 1, merchantID: merchant, resourceID: id, brandID: brand,
            parameters: ["image_generation_type": "CUT_OUT"], state: LocalState.pending)
    }

    @Test("a row of a configured merchant with a plausible brand and valid columns passes")
    func valid() {
        #expect(RowValidation.problem(with: row(), kind: ImageGenerationTaskKind(), merchants: merchants) == nil)
        #expect(
            RowValidation.problem(with: row(id: "1000000013"), kind: ProductCouponKind(), merchants: merchants) == nil)
    }

    @Test("the merchant is checked first, then the brand, then the kind's own columns")
    func order() {
        let kind = ImageGenerationTaskKind()
        let everythingWrong = row(merchant: "1999999999", id: "x", brand: "")
        #expect(
            RowValidation.problem(with: everythingWrong, kind: kind, merchants: merchants)
                == .unknownMerchant("1999999999"))
        #expect(
            RowValidation.problem(with: row(id: "x", brand: ""), kind: kind, merchants: merchants)
                == .invalidColumn("brand_id is empty"))
        let badID = RowValidation.problem(with: row(id: "x"), kind: kind, merchants: merchants)
        #expect(badID?.description.contains("task_id \"x\" has 1 characters") == true)
    }

    @Test("an unknown merchant reads as the rejected row's error says it")
    func unknownMerchantText() {
        #expect(
            RowProblem.unknownMerchant("1999999999").description
                == "merchant_id \"1999999999\" is not a configured merchant")
    }
}

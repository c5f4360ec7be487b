import Foundation
import ImageGenerationTasks
import ProductCoupons
import WatcherEngine
import WatcherStore

/// `enqueue …`: insert one row, validated exactly as the daemon will validate it.
enum EnqueueCommand: Command {
    static let name = "enqueue"
    static let summary = "Insert one image-generation task or product coupon to watch, after validating it."
    static let usage = """
        enqueue --config FILE --merchant MCHID --brand BRAND_ID --type COMBINE_IMAGE|CUT_OUT TASK_ID
               enqueue --config FILE --merchant MCHID --brand BRAND_ID --product-coupon PRODUCT_COUPON_ID
        """
    static let discussion = """
        Producers usually insert rows themselves (see the README); this command does the same from a shell, and
        refuses a row the daemon would reject.
        """
    static let takesOperands = true
    static let options: [Arguments.Option] = [
        .init(name: "config", takesValue: true, help: "the configuration file (JSON)", valueName: "FILE"),
        .init(
            name: "merchant", takesValue: true, help: "the merchant id (mchid); must be configured", valueName: "MCHID"),
        .init(name: "brand", takesValue: true, help: "the brand id", valueName: "BRAND_ID"),
        .init(name: "type", takesValue: true, help: "COMBINE_IMAGE or CUT_OUT (image tasks)", valueName: "TYPE"),
        .init(
            name: "product-coupon", takesValue: true,
            help: "a product coupon to watch through audit, instead of a task",
            valueName: "ID"),
    ]

    static func run(_ arguments: Arguments) async throws(CLIError) -> Int32 {
        let configuration = try Setup.configuration(try arguments.required("config")).configuration
        let merchant = try arguments.required("merchant")
        let brand = try arguments.required("brand")
        let (kind, id) = try NamedRow.parse(arguments)
        let row: QueuedRow
        if kind is ProductCouponKind {
            guard arguments.value("type") == nil else { throw .usage("--product-coupon takes no --type") }
            row = ProductCouponKind.newRow(merchantID: merchant, productCouponID: id, brandID: brand)
        } else {
            row = ImageGenerationTaskKind.newRow(
                merchantID: merchant, taskID: id, brandID: brand, generationType: try arguments.required("type"))
        }
        let merchants = Set(configuration.merchants.map(\.merchantID))
        switch RowValidation.problem(with: row, kind: kind, merchants: merchants) {
        case .unknownMerchant?: throw .usage("merchant \(merchant) is not configured in \(configuration.configFile)")
        case .invalidColumn(let problem)?: throw .usage(problem)
        case nil: break
        }
        let store = try Setup.store(configuration.database)
        defer { store.close() }
        try await insert(row, table: kind.table, store: store)
        Output.line("enqueued \(kind.resource) \(id) for merchant \(merchant) in \(configuration.database)")
        return 0
    }

    /// Inserts the identifying columns only, as a producer would; a duplicate names the existing row's state.
    static func insert(_ row: QueuedRow, table: ResourceTable, store: WatchStore) async throws(CLIError) {
        let outcome: [ProducerInsert]
        do {
            outcome = try await store.insertAsProducer([row], into: table)
        } catch {
            throw .runtime("cannot insert into \(store.path): \(error)")
        }
        if case .duplicate(let state)? = outcome.first {
            throw .runtime(
                "\(table.idColumn) \(row.resourceID) of merchant \(row.merchantID) is already queued (state \(state))")
        }
    }
}

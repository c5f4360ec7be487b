import ImageGenerationTasks
import ProductCoupons
import WatcherEngine

/// The row a command names on its command line: `--product-coupon ID`, or exactly one TASK_ID operand.
enum NamedRow {
    static func parse(_ arguments: Arguments) throws(CLIError) -> (kind: any ResourceKind, id: String) {
        if let coupon = arguments.value("product-coupon") {
            guard arguments.operands.isEmpty else { throw .usage("--product-coupon takes no TASK_ID") }
            guard !coupon.isEmpty else { throw .usage("--product-coupon needs an id") }
            return (ProductCouponKind(), coupon)
        }
        guard arguments.operands.count == 1, let task = arguments.operands.first else {
            throw .usage("expected exactly one TASK_ID after the options, or --product-coupon ID")
        }
        return (ImageGenerationTaskKind(), task)
    }
}

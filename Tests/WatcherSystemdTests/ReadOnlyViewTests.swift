import Testing
import WatcherSystemd

@Suite("ReadOnlyView")
struct ReadOnlyViewTests {
    /// What a unit with ProtectSystem=strict and ReadWritePaths=/var/lib/wechatpay-watcher sees (systemd 252).
    static let sandboxed = """
        321 271 0:41 / / ro,relatime shared:67 master:1 - overlay overlay rw,lowerdir=/lower,upperdir=/upper
        322 321 0:44 / /tmp ro,nosuid,nodev shared:87 master:2 - tmpfs tmpfs rw,size=2468368k
        341 321 0:46 / /dev rw,nosuid shared:106 master:4 - tmpfs tmpfs rw,size=4096k,mode=755
        356 321 0:41 /var/lib/wechatpay-watcher /var/lib/wechatpay-watcher rw,relatime shared:137 master:1 - overlay overlay rw,lowerdir=/lower
        """

    @Test("a folder under a read-only bind mount of a writable file system is a read-only view")
    func protectSystemStrict() {
        #expect(ReadOnlyView.covers("/srv/watcher", mountInfo: Self.sandboxed))
        #expect(ReadOnlyView.covers("/", mountInfo: Self.sandboxed))
    }

    @Test("the unit's writable folders, and folders below them, are not")
    func readWritePaths() {
        #expect(!ReadOnlyView.covers("/var/lib/wechatpay-watcher", mountInfo: Self.sandboxed))
        #expect(!ReadOnlyView.covers("/var/lib/wechatpay-watcher/archive", mountInfo: Self.sandboxed))
        #expect(!ReadOnlyView.covers("/dev/shm", mountInfo: Self.sandboxed))
    }

    @Test("mount points match whole path components: /var/lib/wechatpay-watcher2 is under /, not the rw mount")
    func wholeComponents() {
        #expect(ReadOnlyView.covers("/var/lib/wechatpay-watcher2", mountInfo: Self.sandboxed))
    }

    @Test("a file system mounted read-only itself is no view: the disk, not the unit, is to be fixed")
    func readOnlyFileSystem() {
        let table = """
            20 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw
            30 20 8:17 / /srv ro,relatime - ext4 /dev/sdb1 ro,errors=remount-ro
            """
        #expect(!ReadOnlyView.covers("/srv/watcher", mountInfo: table))
        #expect(!ReadOnlyView.covers("/var/lib", mountInfo: table))
    }

    @Test("of two mounts at the same point the later decides; mount points with escaped spaces match")
    func laterMountsAndEscapes() {
        let table = """
            20 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw
            31 20 8:1 /data /srv/my\\040data rw,relatime - ext4 /dev/sda1 rw
            32 31 8:1 /data /srv/my\\040data ro,relatime - ext4 /dev/sda1 rw
            """
        #expect(ReadOnlyView.covers("/srv/my data/watcher", mountInfo: table))
        #expect(!ReadOnlyView.covers("/srv/other", mountInfo: table))
    }

    @Test("lines that are not mountinfo entries are ignored")
    func malformed() {
        #expect(!ReadOnlyView.covers("/srv", mountInfo: "garbage\n\n1 2 3\n"))
    }
}

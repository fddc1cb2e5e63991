import ServiceSupport
import Synchronization

/// A response kept for an idempotency key, replayed for a repeat of the request.
public struct StoredResponse: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
    /// Extra headers worth replaying (`Location`, `Retry-After`), in order.
    public var headers: [String: String]

    /// Creates a stored response.
    public init(status: Int, contentType: String, body: [UInt8], headers: [String: String] = [:]) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }
}

extension StoredResponse {
    /// The headers as stored: one `name: value` line each, sorted (names and values never
    /// hold a line break).
    public var headerLines: String {
        headers.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "\n")
    }

    /// The headers from their stored ``headerLines`` form.
    public static func headers(fromLines text: String) -> [String: String] {
        var headers: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[String(line[..<colon])] = String(line[line.index(after: colon)...].drop { $0 == " " })
        }
        return headers
    }
}

/// One idempotency key as stored.
public struct IdempotencyRecord: Sendable, Equatable {
    /// Whose key it is (the API key's scope) and the key itself.
    public var scope: String
    public var key: String
    /// SHA-256 of method, path and body of the first request (never the body itself: a card
    /// submission carries a CVC).
    public var fingerprint: String
    /// Who is executing the request (`host:pid`), nil once it finished.
    public var owner: String?
    /// When an unfinished request counts as abandoned, epoch milliseconds.
    public var leaseUntil: Int64
    /// What the request created (order or payment id), once it exists.
    public var resourceID: String?
    /// The final response, once there is one.
    public var response: StoredResponse?
    /// When the key was first used, epoch milliseconds (keys are purged after their lifetime).
    public var createdAt: Int64

    /// Creates a record.
    public init(scope: String, key: String, fingerprint: String, owner: String?, leaseUntil: Int64, resourceID: String? = nil, response: StoredResponse? = nil, createdAt: Int64) {
        self.scope = scope
        self.key = key
        self.fingerprint = fingerprint
        self.owner = owner
        self.leaseUntil = leaseUntil
        self.resourceID = resourceID
        self.response = response
        self.createdAt = createdAt
    }
}

/// A claimed key, handed to the store that inserts the created resource so the link between
/// key and resource is written in the same transaction.
public struct IdempotencyLink: Sendable, Hashable {
    public var scope: String
    public var key: String
    /// Who holds the key for this request: this process and a mark of the claim's own
    /// (``ProcessIdentity/claim()``), so giving it back never releases another request's claim.
    public var owner: String

    /// Creates a link.
    public init(scope: String, key: String, owner: String = ProcessIdentity.current) {
        self.scope = scope
        self.key = key
        self.owner = owner
    }
}

/// Idempotency-key persistence. One instance per thread.
public protocol IdempotencyStore {
    /// Inserts `record` unless the key exists; returns the existing record, or nil when the
    /// insert happened (the caller now owns the key). One write transaction.
    func claim(_ record: IdempotencyRecord) throws -> IdempotencyRecord?
    /// Takes over an unfinished key from `previousOwner` (compare-and-set); false when someone
    /// else took it or it finished meanwhile.
    func takeOver(scope: String, key: String, from previousOwner: String?, to owner: String, leaseUntil: Int64) throws -> Bool
    /// Records the final response and releases ownership.
    func complete(scope: String, key: String, response: StoredResponse) throws
    /// Gives up an unfinished key after an unexpected failure: forgotten when nothing was
    /// created yet, otherwise left ownerless so a retry resumes what was created.
    func release(scope: String, key: String, owner: String) throws
    /// Deletes keys created before `cutoff`; returns how many.
    func purge(createdBefore cutoff: Int64) throws -> Int
}

/// Stripe-style idempotency (the IETF `Idempotency-Key` draft): the first request's outcome
/// is kept with the key and replayed for repeats; a different request under the same key,
/// or a repeat while the first is still running, is refused.
public struct IdempotencyService {
    /// What to do with a request that carries a key.
    public enum Decision: Sendable, Equatable {
        /// A new key: run the request, linking what it creates to `link`.
        case run(IdempotencyLink)
        /// The first attempt died mid-way (its process is gone or its lease ran out): finish
        /// it. `resourceID` is what it had created, if anything.
        case resume(IdempotencyLink, resourceID: String?)
        /// Answer with the stored response.
        case replay(StoredResponse)
        /// The key was used for a different request.
        case mismatch
        /// The first request with this key is still running.
        case inFlight
    }

    let store: IdempotencyStore
    let clock: WallClock
    /// Keys this process failed to give back (the database was unreachable when their request
    /// failed). Until given back they look in flight to every retry, for the whole lease; so
    /// each later claim gives them back first, once the database answers again.
    let unreleased: UnreleasedKeys
    /// How long an unfinished request keeps its key before another may take it over.
    let lease: Int64

    /// Creates the service; `leaseSeconds` must exceed the slowest request, and `unreleased`
    /// is shared by every service on the same database (the process's one, unless a test keeps
    /// its own).
    public init(store: IdempotencyStore, clock: WallClock, leaseSeconds: Double = 120, unreleased: UnreleasedKeys = .shared) {
        self.store = store
        self.clock = clock
        self.unreleased = unreleased
        lease = Int64(leaseSeconds * 1000)
    }

    /// SHA-256 over method, path and body, hex.
    public static func fingerprint(method: String, path: String, body: [UInt8]) -> String {
        var hasher = SHA256()
        hasher.update(Array(method.utf8) + [0] + Array(path.utf8) + [0])
        hasher.update(body)
        return SHA256.hex(hasher.finalize())
    }

    /// Claims `key` for this request, or says why not.
    public func begin(scope: String, key: String, fingerprint: String) throws -> Decision {
        releaseUnreleased()
        let now = clock.now().epochMilliseconds
        let link = IdempotencyLink(scope: scope, key: key, owner: ProcessIdentity.claim())
        let mine = IdempotencyRecord(scope: scope, key: key, fingerprint: fingerprint, owner: link.owner, leaseUntil: now + lease, createdAt: now)
        // A claim whose COMMIT was cut off may have been made: give it back at the next
        // chance (a no-op if it was not), or it would look in flight for the whole lease.
        let existing: IdempotencyRecord?
        do { existing = try store.claim(mine) } catch { remember(link); throw error }
        guard let existing else { return .run(link) }
        guard existing.fingerprint == fingerprint else { return .mismatch }
        if let response = existing.response { return .replay(response) }
        let abandoned = existing.leaseUntil < now || !(existing.owner.map(ProcessIdentity.isAlive) ?? false)
        guard abandoned else { return .inFlight }
        let taken: Bool
        do { taken = try store.takeOver(scope: scope, key: key, from: existing.owner, to: link.owner, leaseUntil: now + lease) } catch { remember(link); throw error }
        return taken ? .resume(link, resourceID: existing.resourceID) : .inFlight
    }

    private func remember(_ link: IdempotencyLink) {
        unreleased.insert(link)
    }

    /// Keeps `response` for repeats.
    public func complete(_ link: IdempotencyLink, with response: StoredResponse) throws {
        try store.complete(scope: link.scope, key: link.key, response: response)
    }

    /// Gives the key up after a failure, so a retry runs afresh (or resumes what the failed
    /// request created). When the store cannot be reached it is given up at the next chance.
    public func release(_ link: IdempotencyLink) throws {
        do {
            try store.release(scope: link.scope, key: link.key, owner: link.owner)
        } catch {
            remember(link)
            throw error
        }
    }

    /// True while this service's database has keys this process could not give back.
    public var hasUnreleased: Bool { !unreleased.isEmpty }

    /// Gives back the keys a failed release left with this process, as far as the store
    /// answers; the worker also calls it now and then, so a key whose retries all reach other
    /// processes is not held for the whole lease.
    public func releaseUnreleased() {
        let pending = unreleased.all
        for link in pending {
            // Only while this claim still holds it: a key taken over meanwhile is left alone.
            guard (try? store.release(scope: link.scope, key: link.key, owner: link.owner)) != nil else { return }
            unreleased.remove(link)
        }
    }

    /// Deletes keys older than `ttl` seconds; returns how many.
    public func purge(olderThan ttl: Double) throws -> Int {
        try store.purge(createdBefore: clock.now().epochMilliseconds - Int64(ttl * 1000))
    }
}

/// Idempotency keys a process could not give back to one database (it was unreachable when
/// their requests failed), until a later claim or the worker's loop gives them back. Every
/// service on that database must share one set (``shared``, in a worker), since any of them may
/// give the keys back; a key is only ever given back to the database it came from.
public final class UnreleasedKeys: Sendable {
    /// The process's set, for its one database.
    public static let shared = UnreleasedKeys()

    private let links = Mutex<Set<IdempotencyLink>>([])

    /// An empty set (a test's own, for a database of its own).
    public init() {}

    /// True while no key waits to be given back.
    public var isEmpty: Bool { links.withLock { $0.isEmpty } }

    var all: Set<IdempotencyLink> { links.withLock { $0 } }

    func insert(_ link: IdempotencyLink) { _ = links.withLock { $0.insert(link) } }

    func remove(_ link: IdempotencyLink) { _ = links.withLock { $0.remove(link) } }
}

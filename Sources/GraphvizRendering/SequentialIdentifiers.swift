import CGraphviz

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// cgraph's object identifiers in the order the objects are created, so that a layout and its
/// drawing depend only on the DOT text.
///
/// cgraph keeps a graph's subgraphs ordered by identifier, and its default identifier
/// discipline uses the address of each interned name as the identifier. Addresses depend on
/// the state of the heap, which differs from run to run, so `dot` met the clusters in a
/// different order each time and the SVG listed them in that order (same layout, different
/// bytes). This discipline numbers names instead: the k-th object created gets 2k if named,
/// 2k + 1 if anonymous (cgraph tells the two apart by parity), and the name is kept for
/// `agnameof`. One table per root graph, freed when the graph is closed.
enum SequentialIdentifiers {
    /// The names and the counter of one root graph.
    final class Table {
        var identifiers: [String: IDTYPE] = [:]
        var names: [IDTYPE: UnsafeMutablePointer<CChar>] = [:]
        var count: IDTYPE = 0

        deinit {
            for name in names.values { free(name) }
        }
    }

    /// The discipline: cgraph's own memory and I/O (reading from a `FILE*`), our identifiers.
    /// Allocated once and never freed: every graph read with it points into it.
    nonisolated(unsafe) static let discipline: UnsafeMutablePointer<Agdisc_t> = {
        let id = UnsafeMutablePointer<Agiddisc_t>.allocate(capacity: 1)
        id.initialize(to: Agiddisc_t(open: open, map: map, alloc: alloc, free: release, print: print,
                                     close: close, idregister: { _, _, _ in }))
        let memory = UnsafeMutablePointer<Agmemdisc_t>.allocate(capacity: 1)
        memory.initialize(to: cgraphviz_memory_discipline())
        let io = UnsafeMutablePointer<Agiodisc_t>.allocate(capacity: 1)
        io.initialize(to: cgraphviz_io_discipline())
        let discipline = UnsafeMutablePointer<Agdisc_t>.allocate(capacity: 1)
        discipline.initialize(to: Agdisc_t(mem: memory, id: id, io: io))
        return discipline
    }()

    private static func table(_ state: UnsafeMutableRawPointer?) -> Table {
        Unmanaged<Table>.fromOpaque(state!).takeUnretainedValue()
    }

    private static let open: @convention(c) (UnsafeMutablePointer<Agraph_t>?, UnsafeMutablePointer<Agdisc_t>?)
        -> UnsafeMutableRawPointer? = { _, _ in
        UnsafeMutableRawPointer(Unmanaged.passRetained(Table()).toOpaque())
    }

    /// A name's identifier (made when `create` is set), or a new anonymous one for no name.
    private static let map: @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafeMutablePointer<CChar>?,
                                            UnsafeMutablePointer<IDTYPE>?, Int32) -> Int = { state, _, name, id, create in
        let table = table(state)
        guard let name else {
            guard create != 0 else { return 0 }
            table.count += 1
            id?.pointee = 2 * table.count + 1
            return 1
        }
        let key = String(cString: name)
        if let known = table.identifiers[key] {
            id?.pointee = known
            return 1
        }
        guard create != 0, let copy = strdup(name) else { return 0 }
        table.count += 1
        let identifier = 2 * table.count
        table.identifiers[key] = identifier
        table.names[identifier] = copy
        id?.pointee = identifier
        return 1
    }

    /// Identifiers chosen by the caller are refused, as cgraph's default discipline does.
    private static let alloc: @convention(c) (UnsafeMutableRawPointer?, Int32, IDTYPE) -> Int = { _, _, _ in 0 }

    /// Names live as long as their graph (a name may be reused by a later object).
    private static let release: @convention(c) (UnsafeMutableRawPointer?, Int32, IDTYPE) -> Void = { _, _, _ in }

    private static let print: @convention(c) (UnsafeMutableRawPointer?, Int32, IDTYPE)
        -> UnsafeMutablePointer<CChar>? = { state, _, id in
        table(state).names[id]
    }

    private static let close: @convention(c) (UnsafeMutableRawPointer?) -> Void = { state in
        Unmanaged<Table>.fromOpaque(state!).release()
    }
}

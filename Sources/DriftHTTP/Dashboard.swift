/// The dashboard page (placeholder until the dashboard step).
enum Dashboard {
    static let page = "<!doctype html><html><title>driftd</title></html>"
}

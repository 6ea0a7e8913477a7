import DriftTesting
import Testing

/// The golden tests are parameterised over the fixture file: without it they would have
/// nothing to check, so its absence is a failure of its own.
@Suite("Fixtures")
struct FixturePresenceTests {
    @Test("the shared goldens are present and hold numeric and categorical cases")
    func present() {
        #expect(Fixtures.numericGoldens.count >= 10 && Fixtures.categoricalGoldens.count >= 5,
                "cannot read \(Fixtures.goldensPath): the tests need ../shared beside the repository (or set DRIFTD_SHARED)")
    }
}

import DriftTesting
import Testing

/// The golden tests are parameterised over the fixture file: without it they would have
/// nothing to check, so its absence is a failure of its own.
@Suite("Fixtures")
struct FixturePresenceTests {
    @Test("the golden fixtures are present and hold numeric and categorical cases")
    func present() {
        #expect(Fixtures.numericGoldens.count >= 10 && Fixtures.categoricalGoldens.count >= 5,
                "cannot read \(Fixtures.goldensPath): the file belongs to the repository; restore it from git")
    }
}

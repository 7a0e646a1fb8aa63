import MarketStreamCore
import Testing

@testable import UpbitExchange

/// The REST budget's decisions, on made-up times: no clock, no sleeps.
@Suite struct RESTBudgetTests {
    @Test func remainingReqHeaderParses() {
        let parsed = UpbitRemainingRequests(header: "group=default; min=1800; sec=29")
        #expect(parsed == UpbitRemainingRequests(header: "sec=29;group=default"))
        #expect(parsed?.group == "default" && parsed?.remainingThisSecond == 29)
        #expect(UpbitRemainingRequests(header: "group=; sec=1") == nil)
        #expect(UpbitRemainingRequests(header: "garbage") == nil)
        #expect(UpbitRemainingRequests(header: "group=order; sec=-1") == nil)
    }

    @Test func aGroupAdmitsItsLimitPerSecondThenWaitsForTheOldestToLeave() {
        var budget = UpbitRESTBudget()
        for index in 0..<10 {
            #expect(budget.request(.ticker, priority: .query, at: .milliseconds(index * 10)) == .go)
        }
        #expect(budget.request(.ticker, priority: .query, at: .milliseconds(100)) == .wait(until: .milliseconds(1_000)))
        #expect(budget.request(.ticker, priority: .query, at: .milliseconds(1_000)) == .go)
        // Other groups have budgets of their own.
        #expect(budget.request(.orderbook, priority: .query, at: .milliseconds(100)) == .go)
    }

    @Test func backgroundCallsLeaveAShareForOrdersAndQueries() {
        var budget = UpbitRESTBudget(reservedShare: 0.25)
        #expect(budget.allowance(.default, .background) == 22)
        for index in 0..<22 {
            #expect(budget.request(.default, priority: .background, at: .milliseconds(index)) == .go)
        }
        #expect(budget.request(.default, priority: .background, at: .milliseconds(30)) == .wait(until: .seconds(1)))
        // A cancel still goes at once, up to the group's full limit.
        for index in 0..<8 {
            #expect(budget.request(.default, priority: .trading, at: .milliseconds(40 + index)) == .go)
        }
        #expect(budget.request(.default, priority: .trading, at: .milliseconds(50)) == .wait(until: .seconds(1)))
    }

    @Test func theExchangesOwnCountIsTrusted() {
        var budget = UpbitRESTBudget(reservedShare: 0.25)
        #expect(budget.request(.default, priority: .query, at: .zero) == .go)
        // Other clients of the same key used most of the second: 3 left, all kept for priority calls.
        budget.record(
            status: 200, remaining: UpbitRemainingRequests(header: "group=default; min=1800; sec=3"), retryAfter: nil,
            group: .default, at: .milliseconds(10))
        #expect(
            budget.request(.default, priority: .background, at: .milliseconds(20)) == .wait(until: .milliseconds(1_010))
        )
        #expect(budget.request(.default, priority: .trading, at: .milliseconds(20)) == .go)
        // sec=0: nobody calls until the second is over.
        budget.record(
            status: 200, remaining: UpbitRemainingRequests(header: "group=default; min=1800; sec=0"), retryAfter: nil,
            group: .default, at: .milliseconds(30))
        #expect(
            budget.request(.default, priority: .trading, at: .milliseconds(40)) == .wait(until: .milliseconds(1_030)))
        #expect(budget.request(.default, priority: .trading, at: .milliseconds(1_030)) == .go)
    }

    @Test func a429PausesTheGroupUntilTheNextSecond() {
        var budget = UpbitRESTBudget()
        #expect(budget.request(.order, priority: .trading, at: .zero) == .go)
        budget.record(status: 429, remaining: nil, retryAfter: nil, group: .order, at: .milliseconds(5))
        #expect(budget.request(.order, priority: .trading, at: .milliseconds(6)) == .wait(until: .milliseconds(1_005)))
        #expect(budget.request(.order, priority: .trading, at: .milliseconds(1_005)) == .go)
    }

    @Test func a418BlocksTheGroupWithoutRetrying() {
        var budget = UpbitRESTBudget()
        budget.record(status: 418, remaining: nil, retryAfter: .seconds(10), group: .ticker, at: .seconds(1))
        #expect(budget.isBlocked(.ticker, at: .seconds(2)))
        #expect(budget.request(.ticker, priority: .query, at: .seconds(2)) == .blocked(retryAfter: .seconds(9)))
        #expect(budget.request(.orderbook, priority: .query, at: .seconds(2)) == .go)
        #expect(budget.request(.ticker, priority: .query, at: .seconds(11)) == .go)
        // Without a Retry-After the block stays.
        budget.record(status: 418, remaining: nil, retryAfter: nil, group: .trade, at: .seconds(1))
        #expect(budget.request(.trade, priority: .query, at: .seconds(3_600)) == .blocked(retryAfter: nil))
    }
}

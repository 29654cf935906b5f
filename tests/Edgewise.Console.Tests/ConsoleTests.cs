using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Edgewise.Console.Tests;

/// <summary>The web console in headless Chromium against a real <c>edgewise serve</c> on loopback.</summary>
public sealed class ConsoleTests(ConsoleFixture fixture) : IClassFixture<ConsoleFixture>
{
    static ConsoleTests() => SetDefaultExpectTimeout(30_000);

    private static ILocator Stat(IPage page, string name) => page.Locator($"[data-stat='{name}']");

    [Fact]
    public async Task Chat_ReferenceModel_StreamsTokenByTokenAndStops()
    {
        var page = await fixture.NewPageAsync();
        var errors = ConsoleFixture.Errors(page);
        await page.GotoAsync("/#/chat");
        await page.Locator("#chat-target").SelectOptionAsync("model:ref");
        await page.FillAsync("#chat-max-tokens", "3000");
        await page.FillAsync("#chat-temperature", "1");
        await page.FillAsync("#chat-input", "Tell me a long story about the sea.");
        await page.ClickAsync("#chat-send");

        // Token by token: the answer is seen growing while the request is still streaming.
        const string Answer = "document.querySelector('#transcript .message.assistant .content')";
        await page.WaitForFunctionAsync($"() => {Answer}?.textContent.length > 0");
        var first = await page.EvaluateAsync<int>($"() => {Answer}.textContent.length");
        await page.WaitForFunctionAsync($"() => {Answer}.textContent.length > {first}");
        await Expect(page.Locator("#transcript .message.assistant.streaming")).ToHaveCountAsync(1);
        await Expect(Stat(page, "Time to first token")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+ ms$"));
        await ConsoleFixture.ScreenshotAsync(page, "chat");
        await page.ClickAsync("#chat-stop");

        await Expect(Stat(page, "Finish reason")).ToHaveTextAsync("stopped");
        await Expect(page.Locator("#transcript .message.assistant.streaming")).ToHaveCountAsync(0);
        await Expect(page.Locator("#chat-send")).ToBeEnabledAsync();
        var stopped = await page.EvaluateAsync<string>($"() => {Answer}.textContent");
        await page.WaitForTimeoutAsync(1000);
        Assert.Equal(stopped, await page.EvaluateAsync<string>($"() => {Answer}.textContent"));

        // A short answer runs to its limit: the finish reason and token count come from the stream.
        await page.ClickAsync("#chat-new");
        await page.FillAsync("#chat-max-tokens", "3");
        await page.FillAsync("#chat-input", "Hi");
        await page.ClickAsync("#chat-send");
        await Expect(Stat(page, "Finish reason")).ToHaveTextAsync("length");
        await Expect(Stat(page, "Tokens")).ToHaveTextAsync("3");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Chat_ModelAnswerWithHtml_IsShownAsText()
    {
        // The schema allows exactly one answer, so the reference model (random weights) must write this HTML.
        const string Html = "<img src=x onerror=window.__xss=1>";
        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/#/chat");
        await page.Locator("#chat-target").SelectOptionAsync("model:ref");
        await page.FillAsync("#chat-max-tokens", "128");
        await page.FillAsync("#chat-schema", JsonSerializer.Serialize(new { type = "object", properties = new { html = new { @const = Html } }, required = new[] { "html" } }));
        await page.FillAsync("#chat-input", "Say something");
        await page.ClickAsync("#chat-send");

        await Expect(Stat(page, "Finish reason")).ToHaveTextAsync("stop");
        var text = await page.Locator("#transcript .message.assistant .content").TextContentAsync();
        Assert.Equal(Html, JsonDocument.Parse(text!).RootElement.GetProperty("html").GetString());
        Assert.Equal(0, await page.Locator("#transcript img").CountAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => window.__xss === undefined"));
    }

    [Fact]
    public async Task Agent_RunNeedingApproval_PausesThenContinuesAfterTheButton()
    {
        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/#/chat");
        await page.Locator("#chat-target").SelectOptionAsync("agent:kiosk");
        await page.FillAsync("#chat-input", "I want to buy two trail shoes");
        await page.ClickAsync("#chat-send");

        await Expect(Stat(page, "Finish reason")).ToHaveTextAsync("approval_required");
        await Expect(page.Locator("#transcript .tool-call")).ToContainTextAsync("place_order");
        var sessionId = (await page.Locator("#chat-session").TextContentAsync())!.Replace("Session ", string.Empty, StringComparison.Ordinal);
        Assert.Matches("^[0-9a-f]{32}$", sessionId);
        await Expect(page.Locator("#approval-badge")).ToBeVisibleAsync();

        await page.ClickAsync("nav a[data-page='approvals']");
        var card = page.Locator(".approval", new() { HasText = sessionId });
        await Expect(card).ToContainTextAsync("place_order");
        await Expect(card).ToContainTextAsync("SKU-100");
        await ConsoleFixture.ScreenshotAsync(page, "approvals");
        await card.Locator("button.approve").ClickAsync();

        await Expect(page.Locator("#approval-results")).ToContainTextAsync("Approved: the run finished with stop.");
        await Expect(page.Locator("#approval-results .message.assistant .content")).ToHaveTextAsync(ConsoleFixture.HtmlAnswer);
        await Expect(page.Locator("#approval-results .tool-result")).ToContainTextAsync("order placed");
        Assert.Equal(0, await page.Locator("#approval-results img, #approval-results b").CountAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => window.__xss === undefined"));
        await Expect(page.Locator(".approval", new() { HasText = sessionId })).ToHaveCountAsync(0);
        var (_, session) = await fixture.SendAsync(HttpMethod.Get, "/v1/sessions/" + sessionId);
        Assert.Empty(JsonDocument.Parse(session).RootElement.GetProperty("pending_approvals").EnumerateArray());

        // The agents page lists the agent and shows the run's events.
        await page.ClickAsync("nav a[data-page='agents']");
        var agent = page.Locator("article[data-agent='kiosk']");
        await Expect(agent).ToContainTextAsync("approval required");
        await agent.Locator(".open-run", new() { HasText = sessionId[..12] }).ClickAsync();
        await Expect(page.Locator("#agent-timeline")).ToContainTextAsync("approval_granted");
        await Expect(page.Locator("#agent-timeline")).ToContainTextAsync("place_order");

        // The configured MCP servers' tools with their pin state, as `edgewise mcp ls` shows them: on shop, concat (and crash)
        // are not pinned, sleep is pinned to another definition's hash; neither is usable until pinned with `edgewise mcp
        // pin`. The sample server the agent uses has its four tools pinned.
        var shop = page.Locator("article.mcp-server[data-server='shop']");
        await Expect(shop.Locator("tr[data-tool='concat']")).ToContainTextAsync("not pinned: disabled");
        await Expect(shop.Locator("tr[data-tool='concat']")).ToContainTextAsync("Joins two strings.");
        await Expect(shop.Locator("tr[data-tool='sleep']")).ToContainTextAsync("changed since pinned: disabled");
        var (_, listing) = await fixture.SendAsync(HttpMethod.Get, "/admin/mcp");
        var servers = JsonDocument.Parse(listing).RootElement.GetProperty("data").EnumerateArray().ToDictionary(s => s.GetProperty("server").GetString()!, s => s.GetProperty("tools").EnumerateArray().ToList());
        Assert.Equal(["sample", "shop"], servers.Keys);
        var tools = servers["shop"];
        Assert.Equal(["new", "new", "changed"], tools.OrderBy(t => t.GetProperty("tool").GetString()).Select(t => t.GetProperty("status").GetString()));
        Assert.All(tools, t => Assert.Matches("^[0-9a-f]{64}$", t.GetProperty("hash").GetString()));
        Assert.Equal(["find_alternatives", "inventory_lookup", "place_order", "price_quote"], servers["sample"].Select(t => t.GetProperty("tool").GetString()).Order(StringComparer.Ordinal));
        Assert.All(servers["sample"], t => Assert.Equal("pinned", t.GetProperty("status").GetString()));
        await ConsoleFixture.ScreenshotAsync(page, "agents");
    }

    [Fact]
    public async Task Sessions_OpenThenDelete_RemovesTheSession()
    {
        var run = await fixture.RunAgentAsync("hello there");
        var id = run.GetProperty("session_id").GetString()!;
        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/#/sessions");
        await page.FillAsync("#session-search", id[..10]);
        await Expect(page.Locator("#session-list .open-session")).ToHaveCountAsync(1);
        await page.ClickAsync($".open-session[data-session='{id}']");

        await Expect(page.Locator("#session-id")).ToHaveTextAsync(id);
        await Expect(page.Locator("#session-detail .message.assistant .content")).ToHaveTextAsync(ConsoleFixture.PlainAnswer);
        Assert.True(await page.EvaluateAsync<bool>("() => window.__xss === undefined"));
        await page.FillAsync("#session-search", string.Empty);
        await ConsoleFixture.ScreenshotAsync(page, "sessions");
        await page.ClickAsync("#session-delete");
        await Expect(page.Locator("#session-delete")).ToHaveTextAsync("Confirm delete");
        await page.ClickAsync("#session-delete");

        await Expect(page.Locator("#session-deleted")).ToBeVisibleAsync();
        await Expect(page.Locator($".open-session[data-session='{id}']")).ToHaveCountAsync(0);
        var (status, _) = await fixture.SendAsync(HttpMethod.Get, "/v1/sessions/" + id);
        Assert.Equal(404, status);
    }

    [Fact]
    public async Task Audit_ChainIsVerifiedInThePage_AndAnEditedRowIsShownBroken()
    {
        await fixture.RunAgentAsync("hello audit");
        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/#/audit");
        await Expect(page.Locator("#audit-page-check")).ToContainTextAsync("Chain verified in this page");
        await ConsoleFixture.ScreenshotAsync(page, "audit");

        // Edit the newest row behind the server's back, as an intruder with the file would.
        long seq;
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(fixture.Home, "agents.db")};Pooling=False"))
        {
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "DROP TRIGGER audit_no_update; UPDATE audit SET detail = 'nothing happened' WHERE seq = (SELECT MAX(seq) FROM audit) RETURNING seq;";
            seq = Convert.ToInt64(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken), CultureInfo.InvariantCulture);
        }

        await page.ClickAsync("text=Reload");
        await Expect(page.Locator("#audit-page-check")).ToContainTextAsync($"Chain broken at row {seq}: row content does not match its hash");
        await Expect(page.Locator($"tr.broken[data-seq='{seq}']")).ToHaveCountAsync(1);
        await Expect(page.Locator("tr.broken")).ToHaveCountAsync(1);
        await Expect(page.Locator("#audit-server-check")).ToContainTextAsync($"broken at row {seq}");
    }

    [Fact]
    public async Task Models_PullFromALoopbackHub_ShowsProgress_AndUnloadFrees()
    {
        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/#/models");
        var row = page.Locator("tr[data-alias='smollm2-135m']");
        await row.Locator("select").SelectOptionAsync("q4_k_m");
        await row.Locator("button.pull").ClickAsync();

        await page.WaitForFunctionAsync("() => { const p = document.querySelector('#pull-progress'); return p && p.value > 0 && p.value < p.max; }");
        await Expect(page.Locator("#pull-status")).ToContainTextAsync("%");
        await ConsoleFixture.ScreenshotAsync(page, "models");
        await Expect(page.Locator("#pull-status")).ToHaveTextAsync("success", new() { Timeout = 60_000 });
        Assert.Equal(1.0, await page.EvaluateAsync<double>("() => { const p = document.querySelector('#pull-progress'); return p.value / p.max; }"));
        await Expect(page.Locator("tr[data-store='smollm2-135m:q4_k_m']")).ToHaveCountAsync(1);

        var (status, body) = await fixture.SendAsync(HttpMethod.Post, "/api/generate", """{"model":"ref","keep_alive":"10m"}""");
        Assert.True(status == 200, body);
        await page.ReloadAsync();
        var loaded = page.Locator("tr[data-model='ref']");
        await Expect(loaded).ToHaveCountAsync(1);
        await Expect(page.Locator("#memory-text")).Not.ToContainTextAsync("Memory: 0 B");
        await loaded.Locator("button.unload").ClickAsync();
        await Expect(loaded).ToHaveCountAsync(0);
        var (_, ps) = await fixture.SendAsync(HttpMethod.Get, "/api/ps");
        Assert.DoesNotContain(JsonDocument.Parse(ps).RootElement.GetProperty("models").EnumerateArray(), m => m.GetProperty("name").GetString() == "ref");
    }

    [Fact]
    public async Task Metrics_AfterARequest_TheNumbersChange()
    {
        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/#/metrics");
        await Expect(page.Locator("#metric-output-tokens")).ToBeVisibleAsync();
        var before = long.Parse((await page.Locator("#metric-output-tokens").TextContentAsync())!, CultureInfo.InvariantCulture);

        var (status, body) = await fixture.SendAsync(HttpMethod.Post, "/v1/chat/completions", """{"model":"ref","messages":[{"role":"user","content":"count"}],"max_tokens":4}""");
        Assert.True(status == 200, body);

        await page.WaitForFunctionAsync($"() => Number(document.querySelector('#metric-output-tokens')?.textContent) >= {before + 1}");
        await Expect(page.Locator("#metrics-charts figure")).ToHaveCountAsync(6);
        await Expect(page.Locator("[data-series='rpm']")).Not.ToHaveTextAsync("0");
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#metrics-charts figure')[5]?.querySelector('.line-0').getAttribute('points').split(' ').length >= 3");
        await ConsoleFixture.ScreenshotAsync(page, "metrics");
    }

    [Fact]
    public async Task EveryPage_At768PixelsWide_FitsAndLabelsEveryControl()
    {
        var page = await fixture.NewPageAsync(768, 1024);
        var errors = ConsoleFixture.Errors(page);
        foreach (var name in new[] { "chat", "agents", "approvals", "sessions", "audit", "models", "metrics" })
        {
            await page.GotoAsync("/#/" + name);
            await Expect(page.Locator($"nav a[data-page='{name}'][aria-current='page']")).ToHaveCountAsync(1);
            await Expect(page.Locator("main h1")).ToHaveCountAsync(1);
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), name + " overflows 768 px");
            var unlabelled = await page.EvaluateAsync<string[]>("""
                () => [...document.querySelectorAll('main input, main select, main textarea, main button')]
                  .filter(e => !(e.labels?.length || e.getAttribute('aria-label') || (e.tagName === 'BUTTON' && e.textContent.trim())))
                  .map(e => e.outerHTML.slice(0, 80))
                """);
            Assert.True(unlabelled.Length == 0, name + ": " + string.Join(" | ", unlabelled));
        }

        // Keyboard: the first Tab reaches the skip link, the next ones the page links.
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("skip", await page.EvaluateAsync<string>("() => document.activeElement.className"));
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("chat", await page.EvaluateAsync<string>("() => document.activeElement.dataset.page"));
        Assert.Empty(errors);
    }
}

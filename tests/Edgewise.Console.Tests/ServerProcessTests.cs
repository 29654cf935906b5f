using System.Net;
using System.Text.RegularExpressions;
using Edgewise.Server.WebConsole;
using Edgewise.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Edgewise.Console.Tests;

/// <summary>The console's files, its key prompt and <c>--no-console</c>, each on a server of its own.</summary>
public sealed partial class ServerProcessTests
{
    private const string Key = "console-test-key-7f3a";

    [Fact]
    public async Task KeyPrompt_WhenKeysAreSet_AsksAndSendsTheKeyOnlyAsABearerHeader()
    {
        ConsoleFixture.RequireBrowser();
        var home = Directory.CreateTempSubdirectory("edgewise-console-keys-").FullName;
        try
        {
            await using var server = await EdgewiseProcess.StartAsync(home, new Dictionary<string, string> { ["EDGEWISE_API_KEYS"] = Key }, "--model", ConsoleFixture.ModelFile);
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await ConsoleFixture.LaunchAsync(playwright);
            var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 }, BaseURL = server.Address.AbsoluteUri });
            var page = await context.NewPageAsync();
            var requests = new List<IRequest>();
            page.Request += (_, r) => requests.Add(r);
            await page.GotoAsync("/");

            await Expect(page.Locator("#key-dialog")).ToBeVisibleAsync();
            await ConsoleFixture.ScreenshotAsync(page, "key-prompt");
            await page.FillAsync("#key-input", "wrong-key");
            await page.ClickAsync("#key-form button[type=submit]");
            await Expect(page.Locator("#key-error")).ToHaveTextAsync("That key was refused.");
            await page.FillAsync("#key-input", Key);
            await page.ClickAsync("#key-form button[type=submit]");

            await Expect(page.Locator("#key-dialog")).ToBeHiddenAsync();
            await Expect(page.Locator("#chat-target option[value='model:ref-phi4-Q4_K_M']")).ToHaveCountAsync(1);
            Assert.Equal(Key, await page.EvaluateAsync<string>("() => sessionStorage.getItem('edgewise.apiKey')"));
            Assert.Equal(string.Empty, await page.EvaluateAsync<string>("() => document.cookie"));
            Assert.DoesNotContain(requests, r => r.Url.Contains(Key, StringComparison.Ordinal));
            var apiCalls = requests.Where(r => r.Url.Contains("/v1/", StringComparison.Ordinal)).ToList();
            Assert.Contains(apiCalls, r => r.Headers.TryGetValue("authorization", out var value) && value == "Bearer " + Key);

            // The page itself is public; the data is not.
            using var http = new HttpClient();
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(server.Address, TestContext.Current.CancellationToken)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(new Uri(server.Address, "/v1/models"), TestContext.Current.CancellationToken)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(new Uri(server.Address, "/v1/approvals"), TestContext.Current.CancellationToken)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(new Uri(server.Address, "/admin/audit"), TestContext.Current.CancellationToken)).StatusCode);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public async Task ApprovalsAndAudit_WithKeys_ShowOnlyTheCallersOwn()
    {
        var home = Directory.CreateTempSubdirectory("edgewise-console-owners-").FullName;
        try
        {
            await using var backend = LoopbackHttp.ScriptedOpenAi(ConsoleFixture.HtmlAnswer, ConsoleFixture.PlainAnswer);
            await using var server = await StartAgentServerAsync(home, backend, new Dictionary<string, string> { ["EDGEWISE_API_KEYS"] = "key-a,key-b" }, string.Empty);
            using var http = new HttpClient();

            async Task<System.Text.Json.JsonElement> CallAsync(HttpMethod method, string path, string key, string? body = null)
            {
                using var request = new HttpRequestMessage(method, new Uri(server.Address, path));
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
                if (body is not null)
                {
                    request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
                }

                using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
                var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
                Assert.True(response.IsSuccessStatusCode, path + ": " + text);
                return System.Text.Json.JsonDocument.Parse(text).RootElement.Clone();
            }

            var run = await CallAsync(HttpMethod.Post, "/v1/agents/kiosk/runs", "key-a", """{"input":"buy it"}""");
            Assert.Equal("approval_required", run.GetProperty("finish_reason").GetString());
            var session = run.GetProperty("session_id").GetString();

            var mine = Assert.Single((await CallAsync(HttpMethod.Get, "/v1/approvals", "key-a")).GetProperty("data").EnumerateArray());
            Assert.Equal(session, mine.GetProperty("session_id").GetString());
            Assert.Equal("place_order", mine.GetProperty("tool").GetString());
            Assert.False(mine.GetProperty("expired").GetBoolean());
            Assert.Empty((await CallAsync(HttpMethod.Get, "/v1/approvals", "key-b")).GetProperty("data").EnumerateArray());

            var own = await CallAsync(HttpMethod.Get, "/admin/audit", "key-a");
            var other = await CallAsync(HttpMethod.Get, "/admin/audit", "key-b");
            Assert.NotEmpty(own.GetProperty("data").EnumerateArray());
            Assert.All(own.GetProperty("data").EnumerateArray(), r => Assert.Equal(session, r.GetProperty("session_id").GetString()));
            Assert.All(other.GetProperty("data").EnumerateArray(), r =>
            {
                Assert.True(r.GetProperty("redacted").GetBoolean());
                Assert.False(r.TryGetProperty("session_id", out _));
                Assert.False(r.TryGetProperty("detail", out _));
                Assert.Equal(64, r.GetProperty("hash").GetString()!.Length);
            });
            Assert.True(other.GetProperty("verification").GetProperty("valid").GetBoolean());
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public async Task Approvals_PastTheirTimeout_AreShownAsDenied()
    {
        ConsoleFixture.RequireBrowser();
        var home = Directory.CreateTempSubdirectory("edgewise-console-expiry-").FullName;
        try
        {
            await using var backend = LoopbackHttp.ScriptedOpenAi(ConsoleFixture.HtmlAnswer, ConsoleFixture.PlainAnswer);
            await using var server = await StartAgentServerAsync(home, backend, new Dictionary<string, string>(), "limits:\n  approval_timeout: 1s\n");
            using var http = new HttpClient();
            using var run = await http.PostAsync(new Uri(server.Address, "/v1/agents/kiosk/runs"), new StringContent("""{"input":"buy it"}""", System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, run.StatusCode);
            await Task.Delay(TimeSpan.FromSeconds(1.5), TestContext.Current.CancellationToken);

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await ConsoleFixture.LaunchAsync(playwright);
            var page = await (await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.Address.AbsoluteUri })).NewPageAsync();
            await page.GotoAsync("/#/approvals");

            var card = page.Locator(".approval.expired");
            await Expect(card).ToContainTextAsync("Expired: denied");
            await Expect(card.Locator("button.approve")).ToHaveCountAsync(0);
            await Expect(page.Locator("#approval-badge")).ToBeHiddenAsync();
            await card.Locator("button.deny").ClickAsync();
            await Expect(page.Locator("#approval-results")).ToContainTextAsync("Denied: the run finished with");
            await Expect(page.Locator(".approval")).ToHaveCountAsync(0);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    private static async Task<EdgewiseProcess> StartAgentServerAsync(string home, LoopbackHttp backend, Dictionary<string, string> environment, string extraYaml)
    {
        var config = Path.Combine(home, "edgewise.yaml");
        await File.WriteAllTextAsync(config, $$"""
            models:
              scripted:
                url: {{backend.BaseUri}}v1
                model: scripted
            agents:
              kiosk:
                model: scripted
                tools: [sample/place_order]
                approval_required: [sample/place_order]
            mcp_servers:
              sample:
            {{SampleToolsServer.Yaml("    ")}}
            """ + extraYaml, TestContext.Current.CancellationToken);
        return await EdgewiseProcess.StartAsync(home, environment, "--config", config);
    }

    [Fact]
    public async Task Files_CarryAStrictPolicy_Gzip_AndRevalidateByETag()
    {
        var home = Directory.CreateTempSubdirectory("edgewise-console-files-").FullName;
        try
        {
            await using var server = await EdgewiseProcess.StartAsync(home, new Dictionary<string, string>(), "--model", ConsoleFixture.ModelFile);
            using var http = new HttpClient(new HttpClientHandler { AutomaticDecompression = DecompressionMethods.None });
            using var page = await http.GetAsync(server.Address, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
            var policy = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("default-src 'self'", policy, StringComparison.Ordinal);
            Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe-eval", policy, StringComparison.Ordinal);
            Assert.False(page.Headers.Contains("Set-Cookie"));

            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.Address, "/console/app.js"));
            request.Headers.AcceptEncoding.ParseAdd("gzip");
            using var script = await http.SendAsync(request, TestContext.Current.CancellationToken);
            Assert.Equal("text/javascript", script.Content.Headers.ContentType!.MediaType);
            Assert.Equal("gzip", Assert.Single(script.Content.Headers.ContentEncoding));
            var etag = script.Headers.ETag!.Tag;

            using var again = new HttpRequestMessage(HttpMethod.Get, new Uri(server.Address, "/console/app.js"));
            again.Headers.IfNoneMatch.ParseAdd(etag);
            using var notModified = await http.SendAsync(again, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri(server.Address, "/console/nothing.js"), TestContext.Current.CancellationToken)).StatusCode);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public async Task NoConsole_ServesNoPage_ButTheApi()
    {
        var home = Directory.CreateTempSubdirectory("edgewise-console-off-").FullName;
        try
        {
            await using var server = await EdgewiseProcess.StartAsync(home, new Dictionary<string, string>(), "--model", ConsoleFixture.ModelFile, "--no-console");
            using var http = new HttpClient();
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(server.Address, TestContext.Current.CancellationToken)).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri(server.Address, "/console/app.js"), TestContext.Current.CancellationToken)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(server.Address, "/v1/models"), TestContext.Current.CancellationToken)).StatusCode);
            Assert.DoesNotContain("console:", server.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public void Assets_AreSmall_HaveNoInlineCode_AndNeverWriteMarkup()
    {
        var assets = ConsoleAssets.Embedded.All;
        Assert.Contains("index.html", assets.Keys);
        Assert.Contains("app.js", assets.Keys);
        var gzipped = assets.Values.Sum(a => (a.Gzipped ?? a.Content).Length);
        Assert.True(gzipped < 500 * 1024, $"the console is {gzipped} bytes gzipped");

        var html = System.Text.Encoding.UTF8.GetString(assets["index.html"].Content);
        Assert.DoesNotMatch(InlineScript(), html);
        Assert.DoesNotContain("<style", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(" style=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(EventAttribute(), html);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        foreach (var script in assets.Values.Where(a => a.Name.EndsWith(".js", StringComparison.Ordinal)))
        {
            var text = System.Text.Encoding.UTF8.GetString(script.Content);
            foreach (var sink in new[] { "innerHTML", "outerHTML =", "insertAdjacentHTML", "document.write", "eval(", "new Function", "https://" })
            {
                Assert.False(text.Contains(sink, StringComparison.Ordinal), $"{script.Name} uses {sink}");
            }
        }
    }

    [GeneratedRegex("<script(?![^>]*\\bsrc=)[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    [GeneratedRegex("\\son[a-z]+=", RegexOptions.IgnoreCase)]
    private static partial Regex EventAttribute();
}

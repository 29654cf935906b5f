using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Edgewise.Testing;
using Microsoft.Playwright;

namespace Edgewise.Console.Tests;

/// <summary>
/// One real <c>edgewise serve</c> (a reference model, and an agent whose model is a scripted OpenAI-compatible backend
/// on loopback), a loopback model hub for pulls, and headless Chromium driven by Playwright.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    /// <summary>Where Debian's chromium package puts the browser.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>Set by .ci/run: a missing browser fails the console tests instead of skipping them.</summary>
    public const string RequireBrowserVariable = "EDGEWISE_REQUIRE_BROWSER";

    /// <summary>A folder to save the page screenshots to (docs/console); unset: no screenshots.</summary>
    public const string ScreenshotVariable = "EDGEWISE_CONSOLE_SCREENSHOTS";

    /// <summary>What the scripted agent model answers after its tool ran: HTML that must show as text.</summary>
    public const string HtmlAnswer = "Order placed: <b>2 x SKU-100</b> <img src=x onerror=\"window.__xss=1\">";

    /// <summary>The scripted agent model's answer to anything but a purchase.</summary>
    public const string PlainAnswer = "Hello from the kiosk. <script>window.__xss=2</script>";

    private readonly string _home = Directory.CreateTempSubdirectory("edgewise-console-").FullName;
    private LoopbackHttp? _backend;
    private LoopbackHttp? _hub;
    private EdgewiseProcess? _server;
    private IPlaywright? _playwright;

    public IBrowser? Browser { get; private set; }

    public Uri Address => _server!.Address;

    public string Home => _home;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromMinutes(1) };

    public static string ModelFile => SharedPaths.ReferenceFile("models", "ref-phi4-Q4_K_M.gguf");

    public static bool BrowserInstalled => File.Exists(ChromiumPath);

    public async ValueTask InitializeAsync()
    {
        _backend = LoopbackHttp.ScriptedOpenAi(HtmlAnswer, PlainAnswer);
        _hub = LoopbackHttp.Hub(SharedPaths.ReferenceFile("models", "ref-llama32-F16.gguf"), 512 * 1024, TimeSpan.FromMilliseconds(40));
        var config = Path.Combine(_home, "edgewise.yaml");
        await File.WriteAllTextAsync(config, $$"""
            models:
              ref:
                path: {{ModelFile}}
                context: 4096
              scripted:
                url: {{_backend.BaseUri}}v1
                model: scripted
            agents:
              kiosk:
                description: Answers shoppers and places orders after approval.
                model: scripted
                tools: [sample/inventory_lookup, sample/place_order]
                approval_required: [sample/place_order]
            mcp_servers:
              shop:
            {{McpTestServer.Yaml("    ")}}    pinned:
                  sleep: {{new string('0', 64)}}
              sample:
            {{SampleToolsServer.Yaml("    ")}}
            """);
        var startServer = EdgewiseProcess.StartAsync(_home, new Dictionary<string, string> { ["HF_ENDPOINT"] = _hub.BaseUri.AbsoluteUri.TrimEnd('/') }, "--config", config);
        if (BrowserInstalled)
        {
            _playwright = await Playwright.CreateAsync();
            Browser = await LaunchAsync(_playwright);
        }

        _server = await startServer;
    }

    public static Task<IBrowser> LaunchAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = ChromiumPath,
        Headless = true,
        Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });

    /// <summary>Skips (locally) or fails (CI, <see cref="RequireBrowserVariable"/>=1) when Chromium is not installed.</summary>
    public static void RequireBrowser()
    {
        if (BrowserInstalled)
        {
            return;
        }

        var message = $"{ChromiumPath} is missing: install Debian's chromium package (apt-get install -y chromium) to run the console tests.";
        if (Environment.GetEnvironmentVariable(RequireBrowserVariable) == "1")
        {
            Assert.Fail(message);
        }

        Assert.Skip(message);
    }

    /// <summary>A fresh page (own context: no shared session storage) at 1280×800 or the given size.</summary>
    public Task<IPage> NewPageAsync(int width = 1280, int height = 800) => NewPageAsync(Address, width, height);

    /// <summary>A fresh page on <paramref name="address"/>.</summary>
    public async Task<IPage> NewPageAsync(Uri address, int width = 1280, int height = 800)
    {
        RequireBrowser();
        var context = await Browser!.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height }, BaseURL = address.AbsoluteUri });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    /// <summary>Script errors and console errors of <paramref name="page"/> from now on (a CSP violation is one).</summary>
    public static List<string> Errors(IPage page)
    {
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Add(message.Text);
            }
        };
        return errors;
    }

    /// <summary>Saves a screenshot of the page as NAME.png when <see cref="ScreenshotVariable"/> names a folder.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable(ScreenshotVariable) is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png") });
        }
    }

    /// <summary>An agent run through the API, as any client makes it.</summary>
    public async Task<JsonElement> RunAgentAsync(string input)
    {
        using var response = await Http.PostAsync(new Uri(Address, "/v1/agents/kiosk/runs"), new StringContent(JsonSerializer.Serialize(new { input }), Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task<(int Status, string Body)> SendAsync(HttpMethod method, string path, string? json = null, string? key = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(Address, path));
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        using var response = await Http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_hub is not null)
        {
            await _hub.DisposeAsync();
        }

        if (_backend is not null)
        {
            await _backend.DisposeAsync();
        }

        Http.Dispose();
        Directory.Delete(_home, recursive: true);
    }
}

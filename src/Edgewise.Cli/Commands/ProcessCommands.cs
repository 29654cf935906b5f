using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Edgewise.Cli.Commands;

/// <summary>
/// <c>edgewise ps</c> (the models a running server has loaded, from <c>GET /api/ps</c>) and <c>edgewise stop MODEL</c>
/// (unload it now, as <c>ollama stop</c> does: <c>POST /api/generate {model, keep_alive: 0}</c>). The server is found at
/// <c>--host</c>/<c>--port</c> (default 127.0.0.1:11435); an API key is read from <c>EDGEWISE_API_KEY</c>. Exit codes
/// (docs/cli.md): 0 done, 1 the server failed, 2 bad arguments, 3 the model is not loaded or unknown, 4 no server
/// answers or the API key is missing or wrong.
/// </summary>
internal static class ProcessCommands
{
    /// <summary>The environment variable holding the API key sent to the server.</summary>
    public const string ApiKeyEnvironmentVariable = "EDGEWISE_API_KEY";

    /// <summary>Exit code when no server answers at the address.</summary>
    public const int NoServer = CliConsole.Network;

    public static void AddTo(Command root, CliConsole console)
    {
        root.Subcommands.Add(Ps(console));
        root.Subcommands.Add(Stop(console));
    }

    private static (Option<string> Host, Option<int> Port) AddressOptions() => (
        new Option<string>("--host") { Description = "Address of the running server (default 127.0.0.1).", DefaultValueFactory = _ => "127.0.0.1" },
        new Option<int>("--port") { Description = "Port of the running server (default 11435).", DefaultValueFactory = _ => Server.ServerOptions.DefaultPort });

    private static Command Ps(CliConsole console)
    {
        var (host, port) = AddressOptions();
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("ps", "List the models a running server has loaded.") { host, port, json };
        command.SetAction((r, cancel) => RunAsync(console, r.GetValue(host)!, r.GetValue(port), async client =>
        {
            using var response = await client.GetAsync(new Uri("api/ps", UriKind.Relative), cancel).ConfigureAwait(false);
            if (Refused(console, response, null) is { } code)
            {
                return code;
            }

            var models = ReadModels(await response.Content.ReadAsStringAsync(cancel).ConfigureAwait(false));
            if (r.GetValue(json))
            {
                console.WriteJson(models);
                return 0;
            }

            console.Out.WriteLine($"{"NAME",-32} {"SIZE",10}  {"PROCESSOR",-10} UNTIL");
            var now = DateTimeOffset.UtcNow;
            foreach (var m in models)
            {
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{m.Name,-32} {ModelStoreCommands.Size(m.Size),10}  {Processor(m),-10} {Until(m.ExpiresAt, now)}"));
            }

            return 0;
        }));
        return command;
    }

    private static Command Stop(CliConsole console)
    {
        var (host, port) = AddressOptions();
        var model = new Argument<string>("model") { Description = "The loaded model to unload (as 'edgewise ps' names it)." };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("stop", "Unload a model from a running server now.") { model, host, port, json };
        command.SetAction((r, cancel) => RunAsync(console, r.GetValue(host)!, r.GetValue(port), async client =>
        {
            var name = r.GetValue(model)!;
            using (var ps = await client.GetAsync(new Uri("api/ps", UriKind.Relative), cancel).ConfigureAwait(false))
            {
                if (Refused(console, ps, null) is { } code)
                {
                    return code;
                }

                var loaded = ReadModels(await ps.Content.ReadAsStringAsync(cancel).ConfigureAwait(false));
                if (!loaded.Any(m => string.Equals(m.Name, name, StringComparison.Ordinal)))
                {
                    return console.Fail("model_not_loaded", $"'{name}' is not loaded; 'edgewise ps' lists the loaded models.", CliConsole.NotFound);
                }
            }

            var body = JsonSerializer.Serialize(new Dictionary<string, object> { ["model"] = name, ["keep_alive"] = 0 }, CliJsonContext.Info<Dictionary<string, object>>(CliJsonContext.PlainOptions));
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await client.PostAsync(new Uri("api/generate", UriKind.Relative), content, cancel).ConfigureAwait(false);
            if (Refused(console, response, name) is { } refused)
            {
                return refused;
            }

            if (r.GetValue(json))
            {
                console.WriteJson(new StoppedOutput(name));
            }
            else
            {
                console.Out.WriteLine($"Stopped {name}.");
            }

            return 0;
        }));
        return command;
    }

    private static async Task<int> RunAsync(CliConsole console, string host, int port, Func<HttpClient, Task<int>> body)
    {
        Uri baseAddress;
        try
        {
            var h = host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? "[" + host + "]" : host;
            baseAddress = new UriBuilder(Uri.UriSchemeHttp, h, port).Uri;
        }
        catch (UriFormatException)
        {
            return console.Fail("usage", "--host must be a host name or IP address and --port a port number.", CliConsole.UsageError);
        }

        using var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (Environment.GetEnvironmentVariable(ApiKeyEnvironmentVariable) is { Length: > 0 } key)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        try
        {
            return await body(client).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException || e.HttpRequestError == HttpRequestError.ConnectionError)
        {
            return console.Fail("no_server", $"no Edgewise server is answering at {baseAddress}; start one with 'edgewise serve' or pass --host/--port.", NoServer);
        }
        catch (TaskCanceledException)
        {
            return console.Fail("timeout", $"the server at {baseAddress} did not answer in time.", NoServer);
        }
        catch (JsonException)
        {
            return console.Fail("failed", $"the server at {baseAddress} did not answer like an Edgewise server.", CliConsole.Failure);
        }
    }

    /// <summary>Null when the response succeeded, else the message printed and the exit code.</summary>
    private static int? Refused(CliConsole console, HttpResponseMessage response, string? model)
    {
        if (response.IsSuccessStatusCode)
        {
            return null;
        }

        switch (response.StatusCode)
        {
            case HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden:
                return console.Fail("unauthorized", $"the server wants an API key: set {ApiKeyEnvironmentVariable}.", CliConsole.Network);
            case HttpStatusCode.NotFound when model is not null:
                return console.Fail("model_not_found", $"the server has no model named '{model}'.", CliConsole.NotFound);
            default:
                return console.Fail("failed", string.Create(CultureInfo.InvariantCulture, $"the server answered {(int)response.StatusCode} {response.ReasonPhrase}."), CliConsole.Failure);
        }
    }

    internal static IReadOnlyList<RunningModel> ReadModels(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var list = new List<RunningModel>();
        if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("models", out var models) && models.ValueKind == JsonValueKind.Array)
        {
            foreach (var m in models.EnumerateArray())
            {
                var name = m.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "?";
                var size = m.TryGetProperty("size", out var s) && s.TryGetInt64(out var bytes) ? bytes : 0;
                var vram = m.TryGetProperty("size_vram", out var v) && v.TryGetInt64(out var vb) ? vb : 0;
                DateTimeOffset? expires = m.TryGetProperty("expires_at", out var e) && e.ValueKind == JsonValueKind.String
                    && DateTimeOffset.TryParse(e.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : null;
                list.Add(new RunningModel(name, size, vram, expires));
            }
        }

        return list;
    }

    /// <summary>Remote models plan no memory (size 0); local ones always plan at least the overhead.</summary>
    internal static string Processor(RunningModel m) =>
        m.Size <= 0 ? "remote"
        : m.SizeVram <= 0 ? "100% CPU"
        : m.SizeVram >= m.Size ? "100% GPU"
        : string.Create(CultureInfo.InvariantCulture, $"{100 - (m.SizeVram * 100 / m.Size)}%/{m.SizeVram * 100 / m.Size}% CPU/GPU");

    /// <summary>When an idle model unloads; "-" while it is in use, pinned or kept forever (the server gives no time then).</summary>
    internal static string Until(DateTimeOffset? expiresAt, DateTimeOffset now)
    {
        if (expiresAt is not { } at)
        {
            return "-";
        }

        var left = at - now;
        return left <= TimeSpan.Zero ? "stopping"
            : left < TimeSpan.FromMinutes(1) ? string.Create(CultureInfo.InvariantCulture, $"{(int)Math.Ceiling(left.TotalSeconds)} seconds from now")
            : left < TimeSpan.FromHours(1) ? string.Create(CultureInfo.InvariantCulture, $"{(int)Math.Round(left.TotalMinutes)} minutes from now")
            : string.Create(CultureInfo.InvariantCulture, $"{at.UtcDateTime:yyyy-MM-dd HH:mm} UTC");
    }

    /// <summary>A loaded model as <c>/api/ps</c> lists it.</summary>
    internal sealed record RunningModel(string Name, long Size, long SizeVram, DateTimeOffset? ExpiresAt);
}

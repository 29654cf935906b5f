using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Edgewise.Models.Management;
using Edgewise.Server;
using Microsoft.AspNetCore.Builder;

namespace Edgewise.Cli.Commands;

/// <summary>
/// <c>edgewise bench serve</c>: drives a server with N concurrent streaming chat clients (OpenAI API, usage in the last
/// chunk) for a number of requests or a duration, per client count, and reports aggregate generated tokens/s (all
/// tokens ÷ wall time), the median per-request decode rate, time-to-first-token and latency p50/p95, and errors.
/// With <c>--model</c> it starts its own server on a free loopback port (parallel sequences = the largest client
/// count; alerts off, so no alert log interleaves with the report); otherwise it targets <c>--host</c>/<c>--port</c>.
/// One warm-up request (not counted) loads the model first.
/// </summary>
internal static class BenchServeCommand
{
    private const string DefaultPrompt = "Write a short story about a robot who learns to paint. Use simple words.";

    public static Command Create(CliConsole console)
    {
        var model = new Option<string?>("--model", "-m") { Description = "GGUF file or model alias: start a server of its own on a free loopback port." };
        var host = ObservabilityCommands.HostOption();
        var port = ObservabilityCommands.PortOption();
        var served = new Option<string?>("--served-model") { Description = "Model name to request from a running server (default: the first of GET /v1/models)." };
        var clients = new Option<string>("--clients") { Description = "Concurrent streaming clients, comma-separated for several runs.", DefaultValueFactory = _ => "4" };
        var requests = new Option<int?>("--requests") { Description = "Requests per run (default: 2 per client); ignored with --duration." };
        var duration = new Option<double?>("--duration", "-d") { Description = "Seconds per run: clients start new requests until it passes." };
        var maxTokens = new Option<int>("--max-tokens") { Description = "max_tokens of each request.", DefaultValueFactory = _ => 64 };
        var prompt = new Option<string>("--prompt") { Description = "The user message each request sends.", DefaultValueFactory = _ => DefaultPrompt };
        var json = ModelCommands.JsonOption();
        var command = new Command("serve", "Server throughput: N concurrent streaming clients; aggregate tokens/s, time to first token p50/p95, errors.")
        {
            model, host, port, served, clients, requests, duration, maxTokens, prompt, json,
        };
        command.SetAction(async (r, cancel) =>
        {
            BenchServeSettings settings;
            try
            {
                settings = new BenchServeSettings(
                    ClientCounts(r.GetValue(clients)!),
                    r.GetValue(requests),
                    r.GetValue(duration) is { } d ? TimeSpan.FromSeconds(d) : null,
                    r.GetValue(maxTokens),
                    r.GetValue(prompt)!);
                settings.Validate();
            }
            catch (CliException e)
            {
                return console.Guard(() => throw e);
            }

            try
            {
                if (r.GetValue(model) is { } file)
                {
                    return await RunOwnServerAsync(console, file, settings, r.GetValue(json), cancel).ConfigureAwait(false);
                }

                var address = ObservabilityCommands.BaseAddress(r.GetValue(host)!, r.GetValue(port));
                return await RunAsync(console, address, r.GetValue(served), settings, r.GetValue(json), cancel).ConfigureAwait(false);
            }
            catch (CliException e)
            {
                return console.Guard(() => throw e);
            }
            catch (Edgewise.Models.ModelException e)
            {
                return ModelStoreCommands.Guard(console, () => throw e);
            }
        });
        return command;
    }

    private static int[] ClientCounts(string text)
    {
        var counts = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n is < 1 or > 256)
            {
                throw new CliException("--clients takes numbers from 1 to 256, comma-separated");
            }

            counts.Add(n);
        }

        return counts.Count > 0 ? [.. counts] : throw new CliException("--clients needs at least one number");
    }

    private static async Task<int> RunOwnServerAsync(CliConsole console, string model, BenchServeSettings settings, bool json, CancellationToken cancel)
    {
        var path = ModelStoreCommands.ResolveModelPath(model, console, cancel);
        var name = File.Exists(model) ? Path.GetFileNameWithoutExtension(model) : model;
        var parallel = settings.Clients.Max();
        var options = new ServerOptions { Host = "127.0.0.1", Port = 0, DataDirectory = Path.GetDirectoryName(Path.GetFullPath(path)) };
        options.Alerts.Enabled = false;
        options.Admission.ParallelSequences = parallel;
        options.Admission.QueueLength = Math.Max(options.Admission.QueueLength, parallel);
        options.Admission.PerKeyConcurrency = Math.Max(options.Admission.PerKeyConcurrency, parallel);
        options.Models.Add(new ServerModel(name, Path.GetFullPath(path), new ModelSettings { ParallelSequences = parallel }));
        var app = EdgewiseServer.Build(options);
        await using (app.ConfigureAwait(false))
        {
            await app.StartAsync(cancel).ConfigureAwait(false);
            try
            {
                return await RunAsync(console, new Uri(app.Urls.First() + "/"), name, settings, json, cancel).ConfigureAwait(false);
            }
            finally
            {
                await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    internal static async Task<int> RunAsync(CliConsole console, Uri address, string? model, BenchServeSettings settings, bool json, CancellationToken cancel)
    {
        using var client = ObservabilityCommands.Client(address, TimeSpan.FromMinutes(10));
        model ??= await FirstModelAsync(client, address, cancel).ConfigureAwait(false);
        var warmup = await StreamOneAsync(client, model, settings, cancel).ConfigureAwait(false);
        if (warmup.Error is { } failure)
        {
            throw new CliException($"the warm-up request failed: {failure}", "failed", CliConsole.Failure);
        }

        var runs = new List<BenchServeRun>();
        foreach (var count in settings.Clients)
        {
            if (!json)
            {
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"running {count} client(s)..."));
            }

            runs.Add(await RunLevelAsync(client, model, count, settings, cancel).ConfigureAwait(false));
        }

        var report = new BenchServeReport(address.ToString(), model, settings.MaxTokens, Math.Round(warmup.Seconds, 3), runs);
        if (json)
        {
            console.WriteJson(report);
        }
        else
        {
            Print(console.Out, report);
        }

        return runs.Any(r => r.Errors > 0) ? 1 : 0;
    }

    private static async Task<string> FirstModelAsync(HttpClient client, Uri address, CancellationToken cancel)
    {
        HttpResponseMessage response;
        try
        {
            response = await client.GetAsync("v1/models", cancel).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            throw ObservabilityCommands.Unreachable(address);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw ObservabilityCommands.Refused(response.StatusCode);
            }

            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancel).ConfigureAwait(false));
            foreach (var entry in document.RootElement.GetProperty("data").EnumerateArray())
            {
                if (entry.TryGetProperty("id", out var id) && id.GetString() is { Length: > 0 } name)
                {
                    return name;
                }
            }
        }

        throw new CliException("the server lists no models; pass --served-model", "failed", CliConsole.Failure);
    }

    private static async Task<BenchServeRun> RunLevelAsync(HttpClient client, string model, int clients, BenchServeSettings settings, CancellationToken cancel)
    {
        var budget = settings.Duration is null ? settings.Requests ?? clients * 2 : int.MaxValue;
        var started = Stopwatch.GetTimestamp();
        var deadline = settings.Duration is { } d ? started + (long)(d.TotalSeconds * Stopwatch.Frequency) : long.MaxValue;
        var issued = 0;
        var results = new List<StreamResult>();
        var workers = Enumerable.Range(0, clients).Select(async _ =>
        {
            while (Interlocked.Increment(ref issued) <= budget && Stopwatch.GetTimestamp() < deadline && !cancel.IsCancellationRequested)
            {
                var result = await StreamOneAsync(client, model, settings, cancel).ConfigureAwait(false);
                lock (results)
                {
                    results.Add(result);
                }
            }
        }).ToList();
        await Task.WhenAll(workers).ConfigureAwait(false);
        var wall = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var ok = results.Where(r => r.Error is null).ToList();
        var tokens = ok.Sum(r => r.Tokens);
        var ttft = ok.Where(r => r.FirstTokenSeconds is not null).Select(r => r.FirstTokenSeconds!.Value).ToList();
        var latency = ok.Select(r => r.Seconds).ToList();
        var decode = ok.Where(r => r.Tokens > 1 && r.FirstTokenSeconds is { } f && r.Seconds > f).Select(r => (r.Tokens - 1) / (r.Seconds - r.FirstTokenSeconds!.Value)).ToList();
        return new BenchServeRun(
            clients,
            results.Count,
            results.Count - ok.Count,
            tokens,
            Math.Round(wall, 3),
            Math.Round(wall > 0 ? tokens / wall : 0, 2),
            Round(Percentile(decode, 0.50)),
            Round(Percentile(ttft, 0.50)),
            Round(Percentile(ttft, 0.95)),
            Round(Percentile(latency, 0.50)),
            Round(Percentile(latency, 0.95)),
            results.Where(r => r.Error is not null).Select(r => r.Error!).Distinct(StringComparer.Ordinal).Take(5).ToList());
    }

    private static async Task<StreamResult> StreamOneAsync(HttpClient client, string model, BenchServeSettings settings, CancellationToken cancel)
    {
        var body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["model"] = model,
            ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = settings.Prompt } },
            ["max_tokens"] = settings.MaxTokens,
            ["stream"] = true,
            ["stream_options"] = new Dictionary<string, bool> { ["include_usage"] = true },
        }, CliJsonContext.Info<Dictionary<string, object>>(CliJsonContext.PlainOptions));
        var started = Stopwatch.GetTimestamp();
        double? first = null;
        var chunks = 0;
        int? usageTokens = null;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return StreamResult.Failed(started, string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)response.StatusCode}"));
            }

            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel).ConfigureAwait(false), Encoding.UTF8);
            while (await reader.ReadLineAsync(cancel).ConfigureAwait(false) is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    continue;
                }

                var data = line.AsSpan(6);
                if (data.SequenceEqual("[DONE]"))
                {
                    return new StreamResult(Stopwatch.GetElapsedTime(started).TotalSeconds, first, usageTokens ?? chunks, null);
                }

                using var chunk = JsonDocument.Parse(line[6..]);
                var root = chunk.RootElement;
                if (root.TryGetProperty("error", out _))
                {
                    return StreamResult.Failed(started, "error event in the stream");
                }

                if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object && usage.TryGetProperty("completion_tokens", out var completion))
                {
                    usageTokens = completion.GetInt32();
                }

                if (root.TryGetProperty("choices", out var choices) && choices.GetArrayLength() > 0
                    && choices[0].TryGetProperty("delta", out var delta) && delta.TryGetProperty("content", out var content)
                    && content.ValueKind == JsonValueKind.String && content.GetString() is { Length: > 0 })
                {
                    chunks++;
                    first ??= Stopwatch.GetElapsedTime(started).TotalSeconds;
                }
            }

            return StreamResult.Failed(started, "stream ended without [DONE]");
        }
        catch (HttpRequestException)
        {
            return StreamResult.Failed(started, "connection failed");
        }
        catch (JsonException)
        {
            return StreamResult.Failed(started, "malformed stream chunk");
        }
        catch (TaskCanceledException) when (!cancel.IsCancellationRequested)
        {
            return StreamResult.Failed(started, "timed out");
        }
    }

    private static void Print(TextWriter output, BenchServeReport report)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"server {report.Server}  model {report.Model}  max_tokens {report.MaxTokens}  warm-up {report.WarmupSeconds:0.###} s"));
        output.WriteLine(string.Create(c, $"{"clients",7} {"requests",8} {"errors",6} {"tokens",7} {"wall s",8} {"tok/s",8} {"req tok/s p50",13} {"ttft p50",9} {"ttft p95",9} {"lat p50",8} {"lat p95",8}"));
        foreach (var r in report.Runs)
        {
            output.WriteLine(string.Create(c, $"{r.Clients,7} {r.Requests,8} {r.Errors,6} {r.Tokens,7} {r.WallSeconds,8:0.##} {r.TokensPerSecond,8:0.##} {Text(r.RequestTokensPerSecondP50),13} {Text(r.TimeToFirstTokenP50),9} {Text(r.TimeToFirstTokenP95),9} {Text(r.LatencyP50),8} {Text(r.LatencyP95),8}"));
            foreach (var error in r.ErrorSamples)
            {
                output.WriteLine(string.Create(c, $"        error: {error}"));
            }
        }
    }

    private static string Text(double? value) => value is { } v ? v.ToString("0.###", CultureInfo.InvariantCulture) : "-";

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 4) : null;

    private static double? Percentile(List<double> values, double q)
    {
        if (values.Count == 0)
        {
            return null;
        }

        values.Sort();
        return values[Math.Clamp((int)Math.Ceiling(q * values.Count) - 1, 0, values.Count - 1)];
    }

    private sealed record StreamResult(double Seconds, double? FirstTokenSeconds, int Tokens, string? Error)
    {
        public static StreamResult Failed(long started, string error) => new(Stopwatch.GetElapsedTime(started).TotalSeconds, null, 0, error);
    }
}

/// <summary>How <c>bench serve</c> drives the server.</summary>
internal sealed record BenchServeSettings(int[] Clients, int? Requests, TimeSpan? Duration, int MaxTokens, string Prompt)
{
    public void Validate()
    {
        if (Requests is < 1)
        {
            throw new CliException("--requests must be at least 1");
        }

        if (Duration is { } d && (d <= TimeSpan.Zero || d > TimeSpan.FromHours(24)))
        {
            throw new CliException("--duration must be above 0 and at most 86400 seconds");
        }

        if (MaxTokens is < 1 or > 4096)
        {
            throw new CliException("--max-tokens must be from 1 to 4096");
        }

        if (string.IsNullOrWhiteSpace(Prompt))
        {
            throw new CliException("--prompt must not be empty");
        }
    }
}

/// <summary>What <c>bench serve --json</c> prints.</summary>
internal sealed record BenchServeReport(string Server, string Model, int MaxTokens, double WarmupSeconds, IReadOnlyList<BenchServeRun> Runs);

/// <summary>One run at a client count.</summary>
internal sealed record BenchServeRun(
    int Clients,
    int Requests,
    int Errors,
    long Tokens,
    double WallSeconds,
    double TokensPerSecond,
    double? RequestTokensPerSecondP50,
    double? TimeToFirstTokenP50,
    double? TimeToFirstTokenP95,
    double? LatencyP50,
    double? LatencyP95,
    IReadOnlyList<string> ErrorSamples);

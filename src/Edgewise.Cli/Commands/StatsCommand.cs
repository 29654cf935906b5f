using System.CommandLine;
using System.Globalization;
using System.Net.Http.Json;
using Edgewise.Server.Telemetry;

namespace Edgewise.Cli.Commands;

/// <summary>
/// <c>edgewise stats [--minutes N] [--host H --port P] [--json]</c>: what a running server served in the last N
/// minutes (requests, errors, latency and time-to-first-token percentiles, tokens/s), from its <c>GET /admin/stats</c>.
/// Exit codes: 0 done, 1 no server or it refused, 2 bad arguments.
/// </summary>
internal static class StatsCommand
{
    public static Command Create(CliConsole console)
    {
        var minutes = new Option<double>("--minutes") { Description = "The window, in minutes (default 5).", DefaultValueFactory = _ => 5 };
        var host = ObservabilityCommands.HostOption();
        var port = ObservabilityCommands.PortOption();
        var json = ModelCommands.JsonOption();
        var command = new Command("stats", "Requests, latency percentiles, errors and tokens/s of a running server over the last minutes.") { minutes, host, port, json };
        command.SetAction(async (r, cancel) =>
        {
            var window = r.GetValue(minutes);
            if (!double.IsFinite(window) || window <= 0 || window > 10080)
            {
                return console.Guard(() => throw new CliException("--minutes must be above 0 and at most 10080"));
            }

            Uri address;
            try
            {
                address = ObservabilityCommands.BaseAddress(r.GetValue(host)!, r.GetValue(port));
            }
            catch (CliException e)
            {
                return console.Guard(() => throw e);
            }

            ServerStats stats;
            try
            {
                stats = await FetchAsync(address, window, cancel).ConfigureAwait(false);
            }
            catch (CliException e)
            {
                return console.Guard(() => throw e);
            }

            if (r.GetValue(json))
            {
                console.WriteJson(stats);
            }
            else
            {
                Print(console.Out, stats, address);
            }

            return 0;
        });
        return command;
    }

    private static async Task<ServerStats> FetchAsync(Uri address, double minutes, CancellationToken cancel)
    {
        using var client = ObservabilityCommands.Client(address, TimeSpan.FromSeconds(30));
        HttpResponseMessage response;
        try
        {
            response = await client.GetAsync(string.Create(CultureInfo.InvariantCulture, $"admin/stats?minutes={minutes}"), cancel).ConfigureAwait(false);
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

            return await response.Content.ReadFromJsonAsync(CliJsonContext.Info<ServerStats>(CliJsonContext.StatsOptions), cancel).ConfigureAwait(false)
                ?? throw new CliException("the server sent an empty answer");
        }
    }

    internal static void Print(TextWriter output, ServerStats s, Uri address)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"Last {s.WindowMinutes:0.##} min on {address} ({s.From:u} to {s.To:u}){(s.Truncated ? " — request log full, oldest requests not counted" : string.Empty)}"));
        output.WriteLine(string.Create(c, $"requests     {s.Requests}  (5xx {s.Errors}, 4xx {s.ClientErrors}, cancelled {s.Cancelled}, error rate {s.ErrorRate:P1})"));
        output.WriteLine(string.Create(c, $"latency      {Percentiles(s.Latency)}"));
        output.WriteLine(string.Create(c, $"first token  {Percentiles(s.TimeToFirstToken)}"));
        output.WriteLine(string.Create(c, $"tokens       in {s.InputTokens}, out {s.OutputTokens}; decode {Rate(s.TokensPerSecond)}, throughput {s.ThroughputTokensPerSecond:0.##} tok/s"));
        if (s.Routes.Count > 0)
        {
            output.WriteLine();
            output.WriteLine(string.Create(c, $"{"route",-32} {"requests",9} {"5xx",6} {"p95",10}"));
            foreach (var route in s.Routes)
            {
                output.WriteLine(string.Create(c, $"{route.Route,-32} {route.Requests,9} {route.Errors,6} {Seconds(route.P95),10}"));
            }
        }

        if (s.Models.Count > 0)
        {
            output.WriteLine();
            output.WriteLine(string.Create(c, $"{"model",-32} {"requests",9} {"tokens",8} {"tok/s",10}"));
            foreach (var model in s.Models)
            {
                output.WriteLine(string.Create(c, $"{model.Model,-32} {model.Requests,9} {model.OutputTokens,8} {Rate(model.TokensPerSecond),10}"));
            }
        }
    }

    private static string Percentiles(LatencySummary l) => l.Count == 0
        ? "no samples"
        : string.Create(CultureInfo.InvariantCulture, $"p50 {Seconds(l.P50)}  p95 {Seconds(l.P95)}  p99 {Seconds(l.P99)}  max {Seconds(l.Max)}  ({l.Count} samples)");

    private static string Seconds(double? value) => value is { } v ? string.Create(CultureInfo.InvariantCulture, $"{v:0.###} s") : "-";

    private static string Rate(double? value) => value is { } v ? string.Create(CultureInfo.InvariantCulture, $"{v:0.##} tok/s") : "-";
}

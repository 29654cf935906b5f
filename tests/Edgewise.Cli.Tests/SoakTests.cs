using System.Globalization;
using System.Net;
using System.Text;
using Edgewise.Testing;

namespace Edgewise.Cli.Tests;

/// <summary>
/// docs/security.md R03: the real <c>edgewise serve</c> under a steady mix of requests, its threads, open handles and resident
/// memory sampled from /proc. In CI a short run checks that threads and handles stay flat after warm-up; the 24-hour
/// soak is the same test run with <c>EDGEWISE_SOAK_MINUTES=1440</c>
/// (<c>dotnet test tests/Edgewise.Cli.Tests -c Release --filter R03</c>), which also samples resident memory every 30 s
/// once warm (after the first tenth and once the prefix cache holds its budget, read from <c>/metrics</c>) and holds the
/// mean of the last third of the samples within 3% of the first third's.
/// <c>EDGEWISE_SOAK_CLIENTS</c> sets the number of concurrent clients (default 3). Beyond the admission limit (4 running
/// plus 32 queued per model; 72 clients is twice it) the answers may also be 429 or 503, and nothing else; the count of
/// each status is printed.
/// </summary>
public sealed class SoakTests(ITestOutputHelper output)
{
    private const string SoakMinutesVariable = "EDGEWISE_SOAK_MINUTES";
    private static readonly int Clients = int.TryParse(Environment.GetEnvironmentVariable("EDGEWISE_SOAK_CLIENTS"), out var c) && c > 0 ? c : 3;
    private static readonly bool Overloaded = Clients > 4 + 32;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, int> _statuses = new();
    private long _prompts;
    private const int ShortRunRequestsPerClient = 40;

    [Fact]
    public async Task Serve_R03_SteadyLoad_ThreadsHandlesAndMemoryStayFlat()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Fail("R03 samples /proc and runs on Linux.");
        }

        var minutes = double.TryParse(Environment.GetEnvironmentVariable(SoakMinutesVariable), NumberStyles.Float, CultureInfo.InvariantCulture, out var m) ? m : 0;
        using var dir = new ServeTempDirectory();
        var model = dir.Copy(SharedPaths.ReferenceFile("models", "ref-qwen2-Q4_K_M.gguf"), "soak.gguf");
        var (process, address) = await ServeProcess.StartServerAsync(dir.Path, "serve", "--model", model, "--port", "0");
        await using var _ = process;
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };

        await RunClientsAsync(http, requestsPerClient: 10, until: null);
        var baseline = ProcSample.Read(process.Id);

        var deadline = minutes > 0 ? DateTime.UtcNow + TimeSpan.FromMinutes(minutes) : (DateTime?)null;
        ProcSample final;
        List<long>? resident = null;
        if (deadline is { } end)
        {
            // The long soak samples resident memory every 30 s once the process has grown to its working size: after the
            // first tenth, and not before the prefix cache holds its budget (64 MiB of KV blocks by default). Every
            // prompt is distinct, so the cache fills, then replaces its oldest blocks; while it fills the process grows
            // by design, and a bounded cache filling is not a leak (SamplePrefixCacheAsync reads its gauges from
            // /metrics). A line is printed after each ninth of the rest, so the curve is on record. A garbage-collected
            // process's resident set swings by several percent between two samples, so "flat" compares means: the last
            // third of the samples against the first third. A leak shows as a rising mean; a swing does not.
            var started = DateTime.UtcNow;
            await RunClientsAsync(http, int.MaxValue, started + ((end - started) / 10));
            var halfway = started + ((end - started) / 2);
            var cache = await ReadPrefixCacheAsync(http);
            while (!cache.Full && DateTime.UtcNow < halfway)
            {
                await RunClientsAsync(http, int.MaxValue, DateTime.UtcNow + TimeSpan.FromSeconds(15));
                cache = await ReadPrefixCacheAsync(http);
            }

            var warm = ProcSample.Read(process.Id);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:HH:mm:ss} warm-up over after {(DateTime.UtcNow - started).TotalMinutes:F1} min: prefix cache {cache.Blocks} blocks, {cache.Bytes >> 20} of {cache.CapacityBytes >> 20} MiB; resident {warm.ResidentBytes >> 20} MiB, threads {warm.Threads}, handles {warm.Handles}"));
            Assert.True(cache.Full, $"the prefix cache was still filling at half the run ({cache.Bytes} of {cache.CapacityBytes} bytes), so flat memory cannot be shown; run the soak longer");
            resident = [];
            using var sampling = new CancellationTokenSource();
            var sampler = SampleAsync(process.Id, resident, sampling.Token);
            final = warm;
            var ninth = (end - DateTime.UtcNow) / 9;
            for (var part = 1; part <= 9; part++)
            {
                await RunClientsAsync(http, int.MaxValue, part == 9 ? end : DateTime.UtcNow + ninth);
                final = ProcSample.Read(process.Id);
                cache = await ReadPrefixCacheAsync(http);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:HH:mm:ss} ninth {part}: resident {final.ResidentBytes >> 20} MiB, threads {final.Threads}, handles {final.Handles}, prefix cache {cache.Blocks} blocks; statuses {string.Join(", ", _statuses.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}"))}"));
            }

            await sampling.CancelAsync();
            await sampler;
        }
        else
        {
            await RunClientsAsync(http, ShortRunRequestsPerClient, until: null);
            final = ProcSample.Read(process.Id);
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Clients} clients; statuses {string.Join(", ", _statuses.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}"))}; resident {baseline.ResidentBytes >> 20} -> {final.ResidentBytes >> 20} MiB; threads {baseline.Threads} -> {final.Threads}; handles {baseline.Handles} -> {final.Handles}"));

        Assert.True(final.Threads <= baseline.Threads + 8, $"threads grew from {baseline.Threads} to {final.Threads}");
        Assert.True(final.Handles <= baseline.Handles + 8, $"open handles grew from {baseline.Handles} to {final.Handles}");
        if (resident is { Count: >= 6 })
        {
            var third = resident.Count / 3;
            var first = resident.Take(third).Average();
            var last = resident.Skip(resident.Count - third).Average();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"resident memory, {resident.Count} samples: min {resident.Min() >> 20} MiB, max {resident.Max() >> 20} MiB; mean of the first third {first / 1048576:F1} MiB, of the last third {last / 1048576:F1} MiB ({(last / first) - 1:P2})"));
            Assert.True(last < first * 1.03, $"resident memory rose: the mean of the last third of the samples is {(last / first) - 1:P2} above the first third's");
        }
        else if (resident is not null)
        {
            Assert.Fail($"only {resident.Count} resident-memory samples; run the soak for at least 3 minutes");
        }
        else
        {
            // A short run cannot show a slow drift; it catches a leak per request (e.g. a retained KV cache).
            Assert.True(final.ResidentBytes < baseline.ResidentBytes * 3 / 2, $"resident memory grew from {baseline.ResidentBytes} to {final.ResidentBytes} bytes in {Clients * ShortRunRequestsPerClient} requests");
        }
    }

    private static async Task SampleAsync(int pid, List<long> resident, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(30));
        try
        {
            do
            {
                resident.Add(ProcSample.Read(pid).ResidentBytes);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private Task RunClientsAsync(HttpClient http, int requestsPerClient, DateTime? until) =>
        Task.WhenAll(Enumerable.Range(0, Clients).Select(client => RunClientAsync(http, client, requestsPerClient, until)));

    private async Task RunClientAsync(HttpClient http, int client, int requests, DateTime? until)
    {
        for (var i = 0; i < requests && (until is null || DateTime.UtcNow < until); i++)
        {
            var stream = (i + client) % 2 == 0 ? "true" : "false";
            // Every prompt is distinct, as a server's users' are: the prefix cache fills to its budget and then evicts.
            var prompt = Interlocked.Increment(ref _prompts);
            var body = "{\"model\":\"soak\",\"messages\":[{\"role\":\"user\",\"content\":\"Request " + prompt + " of client " + client
                + "\"}],\"max_tokens\":6,\"temperature\":0.7,\"stream\":" + stream + "}";
            using var response = await http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
            var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            _statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
            var allowed = response.StatusCode == HttpStatusCode.OK
                || (Overloaded && response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable);
            Assert.True(allowed, $"request {i} of client {client}: {(int)response.StatusCode} {text}");
            if (response.StatusCode != HttpStatusCode.OK && response.Headers.RetryAfter?.Delta is { } wait)
            {
                // As OpenAI's and Ollama's clients do: a refused request waits as long as the server asked.
                await Task.Delay(wait, TestContext.Current.CancellationToken);
            }

            if (i % 10 == 0)
            {
                using var metrics = await http.GetAsync("/metrics", TestContext.Current.CancellationToken);
                Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
            }
        }
    }

    /// <summary>The served model's prefix-cache gauges from <c>/metrics</c>.</summary>
    private static async Task<PrefixCacheSample> ReadPrefixCacheAsync(HttpClient http)
    {
        var text = await http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        long Value(string metric)
        {
            var prefix = metric + "{model=\"soak\"} ";
            var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
            Assert.True(line is not null, "/metrics has no " + prefix.Trim());
            return long.Parse(line.AsSpan(prefix.Length), CultureInfo.InvariantCulture);
        }

        return new PrefixCacheSample(Value("edgewise_prefix_cache_blocks"), Value("edgewise_prefix_cache_bytes"), Value("edgewise_prefix_cache_capacity_bytes"));
    }

    /// <summary>Full when one more block would not fit the budget.</summary>
    private readonly record struct PrefixCacheSample(long Blocks, long Bytes, long CapacityBytes)
    {
        public bool Full => Blocks > 0 && Bytes + (Bytes / Blocks) > CapacityBytes;
    }

    /// <summary>Threads, open file descriptors and resident bytes of a process, from /proc.</summary>
    private readonly record struct ProcSample(int Threads, int Handles, long ResidentBytes)
    {
        public static ProcSample Read(int pid)
        {
            int threads = 0;
            long resident = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("Threads:", StringComparison.Ordinal))
                {
                    threads = int.Parse(line.AsSpan(8).Trim(), CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    resident = long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
                }
            }

            var handles = Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;
            Assert.True(threads > 0 && resident > 0, "could not read /proc/" + pid + "/status");
            return new ProcSample(threads, handles, resident);
        }
    }
}

using System.Text.Json;

namespace Edgewise.Cli.Tests;

public sealed class BenchServeCommandTests
{
    [Fact]
    public async Task BenchServe_Json_ReportsEachClientCountWithTokensTtftAndErrors()
    {
        await using var server = await StatsServer.StartAsync();

        var (code, output, error) = CliRunner.Run("bench", "serve", "--port", server.Port, "--clients", "1,2", "--requests", "4", "--max-tokens", "8", "--json");

        Assert.True(code == 0, error);
        var root = JsonDocument.Parse(output).RootElement;
        Assert.Equal("fake", root.GetProperty("model").GetString());
        Assert.Equal(8, root.GetProperty("max_tokens").GetInt32());
        var runs = root.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal([1, 2], runs.Select(r => r.GetProperty("clients").GetInt32()));
        foreach (var run in runs)
        {
            Assert.Equal(4, run.GetProperty("requests").GetInt32());
            Assert.Equal(0, run.GetProperty("errors").GetInt32());
            Assert.Equal(12, run.GetProperty("tokens").GetInt64());
            Assert.True(run.GetProperty("tokens_per_second").GetDouble() > 0);
            Assert.True(run.GetProperty("time_to_first_token_p50").GetDouble() <= run.GetProperty("time_to_first_token_p95").GetDouble());
            Assert.Equal(JsonValueKind.Number, run.GetProperty("latency_p95").ValueKind);
        }
    }

    [Fact]
    public async Task BenchServe_Text_PrintsATableRowPerClientCount()
    {
        await using var server = await StatsServer.StartAsync();

        var (code, output, _) = CliRunner.Run("bench", "serve", "--port", server.Port, "--served-model", "fake", "--clients", "3", "--requests", "3");

        Assert.Equal(0, code);
        Assert.Contains("ttft p50", output, StringComparison.Ordinal);
        Assert.Matches(@"\n\s+3\s+3\s+0\s+9\s", output);
    }

    [Fact]
    public async Task BenchServe_UnknownModel_CountsErrorsAndExits1()
    {
        await using var server = await StatsServer.StartAsync();

        var (code, _, error) = CliRunner.Run("bench", "serve", "--port", server.Port, "--served-model", "missing", "--clients", "1", "--requests", "1");

        Assert.Equal(1, code);
        Assert.Contains("warm-up request failed: HTTP 404", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--clients", "0")]
    [InlineData("--clients", "x")]
    [InlineData("--requests", "0")]
    [InlineData("--max-tokens", "0")]
    public void BenchServe_BadArguments_UsageError(string option, string value)
    {
        var (code, _, error) = CliRunner.Run("bench", "serve", "--port", "1", option, value);

        Assert.Equal(2, code);
        Assert.Contains(option, error, StringComparison.Ordinal);
    }
}

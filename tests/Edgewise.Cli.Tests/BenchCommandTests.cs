using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;
using Edgewise.Testing;

namespace Edgewise.Cli.Tests;

public class BenchCommandTests
{
    private static string Model(string name) => SharedPaths.ReferenceFile("models", name);

    [Fact]
    public void Bench_ReferenceModelJson_ReportsLlamaBenchFieldsPerTest()
    {
        var (code, output, error) = CliRunner.Run(
            "bench", "-m", Model("ref-qwen3-Q8_0.gguf"), "-p", "8", "-n", "3", "-r", "2", "-t", "1", "--parallel", "2", "--json");

        Assert.True(code == 0, error);
        using var doc = JsonDocument.Parse(output);
        var results = doc.RootElement.EnumerateArray().ToArray();
        Assert.Equal(3, results.Length);
        Assert.Equal(["pp8", "tg3", "tg3 x2"], results.Select(r => r.GetProperty("test").GetString()));
        var size = new FileInfo(Model("ref-qwen3-Q8_0.gguf")).Length;
        foreach (var r in results)
        {
            Assert.StartsWith("qwen3 ", r.GetProperty("model_type").GetString(), StringComparison.Ordinal);
            Assert.EndsWith(" Q8_0", r.GetProperty("model_type").GetString(), StringComparison.Ordinal);
            Assert.InRange(r.GetProperty("model_size").GetInt64(), size / 2, size);
            Assert.Equal(1, r.GetProperty("n_threads").GetInt32());
            Assert.Equal(2, r.GetProperty("samples_ts").GetArrayLength());
            Assert.Equal(2, r.GetProperty("samples_ns").GetArrayLength());
            Assert.True(r.GetProperty("avg_ts").GetDouble() > 0);
            Assert.True(r.GetProperty("stddev_ts").GetDouble() >= 0);
            Assert.True(r.GetProperty("read_bandwidth_gbs").GetDouble() > 0);
            Assert.True(r.GetProperty("cpu_ms_per_token").GetDouble() > 0);
        }

        Assert.Equal(8, results[0].GetProperty("n_prompt").GetInt32());
        Assert.Equal(0, results[0].GetProperty("n_gen").GetInt32());
        Assert.Equal(JsonValueKind.Null, results[0].GetProperty("bandwidth_ratio").ValueKind);
        Assert.Equal(3, results[1].GetProperty("n_gen").GetInt32());
        Assert.True(results[1].GetProperty("bandwidth_ratio").GetDouble() > 0);
        Assert.Equal(2, results[2].GetProperty("n_parallel").GetInt32());
        Assert.Contains("continuous batching", results[2].GetProperty("parallel_mode").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Bench_Json_StatesTheDispatchItRan(bool noRepack)
    {
        string[] args = ["bench", "-m", Model("ref-qwen3-Q8_0.gguf"), "-p", "0", "-n", "1", "-r", "1", "-t", "1", "--json"];
        var (code, output, error) = CliRunner.Run(noRepack ? [.. args, "--no-repack"] : args);

        Assert.True(code == 0, error);
        using var doc = JsonDocument.Parse(output);
        var dispatch = doc.RootElement.EnumerateArray().Single().GetProperty("dispatch");
        var bits = dispatch.GetProperty("vector_bits").GetInt32();
        Assert.Equal(Avx512BW.IsSupported && Vector512.IsHardwareAccelerated ? 512 : Avx2.IsSupported ? 256 : 128, bits);
        Assert.Equal(AvxVnni.IsSupported && bits >= 256, dispatch.GetProperty("vnni").GetBoolean());
        Assert.Contains(AvxVnni.IsSupported ? "vpdpbusd" : "vpmaddubsw", dispatch.GetProperty("byte_dot").GetString(), StringComparison.Ordinal);
        Assert.Equal(!noRepack, dispatch.GetProperty("repack").GetBoolean());
        var matrices = dispatch.GetProperty("matrices").EnumerateArray().ToArray();
        var q8 = Assert.Single(matrices, m => m.GetProperty("type").GetString() == "Q8_0");
        Assert.True(q8.GetProperty("matrices").GetInt32() > 0);
        Assert.True(q8.GetProperty("bytes").GetInt64() > 0);

        // Q8_0 is re-laid at load only where AVX-VNNI runs its group kernels; prompts take LegacyGemm either way.
        var relaid = !noRepack && AvxVnni.IsSupported && bits >= 256;
        Assert.Equal(relaid ? "re-laid" : "in place", q8.GetProperty("layout").GetString());
        Assert.Equal(relaid ? "BlockGroups" : bits >= 256 ? "LegacyMatVec" : "DotKernels", q8.GetProperty("decode_kernel").GetString());
        Assert.Equal(bits >= 256 ? "LegacyGemm" : "DotKernels", q8.GetProperty("prompt_kernel").GetString());
    }

    [Fact]
    public void Bench_TextOutput_PrintsTableAndBandwidth()
    {
        var (code, output, error) = CliRunner.Run("bench", "-m", Model("ref-phi4-Q8_0.gguf"), "-p", "0", "-n", "2", "-r", "1", "-t", "1");

        Assert.True(code == 0, error);
        Assert.Contains("| tg2 |", output, StringComparison.Ordinal);
        Assert.Contains("read bandwidth (1 threads)", output, StringComparison.Ordinal);
        Assert.Contains("dispatch: " + (Avx512BW.IsSupported ? "512-bit" : "256-bit"), output, StringComparison.Ordinal);
        Assert.Contains("  Q8_0 (", output, StringComparison.Ordinal);
        Assert.Contains(": decode ", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "bench" }, "exactly one of -m or --shape")]
    [InlineData(new[] { "bench", "--shape", "gpt-5", "--quant", "q8_0" }, "unknown shape")]
    [InlineData(new[] { "bench", "--shape", "qwen2.5-0.5b" }, "--shape needs --quant")]
    [InlineData(new[] { "bench", "--shape", "qwen2.5-0.5b", "--quant", "q8_0", "-p", "12,x" }, "-p takes")]
    [InlineData(new[] { "bench", "--shape", "qwen2.5-0.5b", "--quant", "q8_0", "-r", "0" }, "-r must be")]
    public void Bench_BadArguments_UsageError(string[] args, string message)
    {
        var (code, _, error) = CliRunner.Run(args);

        Assert.Equal(2, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }
}

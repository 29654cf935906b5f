using System.Text.Json;
using Edgewise.Testing;

namespace Edgewise.Cli.Tests;

public class ModelInfoCommandTests
{
    // The hyperparameters of each reference preset, from the table in shared/reference/README.md:
    // arch, n_embd, layers, heads, kv heads, head dim, n_ff, vocab, rope dims, rope θ, rms eps, context, scaling.
    public static TheoryData<string, string, int, int, int, int, int, int, int, int, double, double, int, string> Presets => new()
    {
        { "ref-qwen2-F32.gguf", "qwen2", 64, 2, 4, 2, 16, 256, 151936, 16, 1e6, 1e-6, 4096, "none" },
        { "ref-qwen2-Q4_K_M.gguf", "qwen2", 64, 2, 4, 2, 16, 256, 151936, 16, 1e6, 1e-6, 4096, "none" },
        { "ref-phi3-F16.gguf", "phi3", 256, 2, 4, 4, 64, 512, 32064, 64, 1e4, 1e-5, 4096, "none" },
        { "ref-phi3-Q4_0.gguf", "phi3", 256, 2, 4, 4, 64, 512, 32064, 64, 1e4, 1e-5, 4096, "none" },
        { "ref-phi3-Q4_K_M.gguf", "phi3", 256, 2, 4, 4, 64, 512, 32064, 64, 1e4, 1e-5, 4096, "none" },
        { "ref-qwen3-Q8_0.gguf", "qwen3", 64, 2, 4, 2, 32, 256, 151936, 32, 1e6, 1e-6, 40960, "none" },
        { "ref-llama32-F16.gguf", "llama", 64, 2, 2, 1, 32, 256, 128256, 32, 5e5, 1e-5, 131072, "frequency_factors" },
        { "ref-phi4-F16.gguf", "phi3", 128, 2, 4, 2, 32, 256, 32064, 24, 1e4, 1e-5, 131072, "long_rope" },
        { "ref-phi4-Q8_0.gguf", "phi3", 128, 2, 4, 2, 32, 256, 32064, 24, 1e4, 1e-5, 131072, "long_rope" },
        { "ref-phi4-Q4_K_M.gguf", "phi3", 128, 2, 4, 2, 32, 256, 32064, 24, 1e4, 1e-5, 131072, "long_rope" },
    };

    [Theory]
    [MemberData(nameof(Presets))]
    public void ModelInfo_ReferenceModel_ReportsHyperparameters(
        string file, string arch, int embd, int layers, int heads, int kvHeads, int headDim, int ff, int vocab,
        int ropeDims, double theta, double eps, int context, string scaling)
    {
        var (code, output, error) = CliRunner.Run("model", "info", SharedPaths.ReferenceFile("models", file), "--json");

        Assert.True(code == 0, error);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal(arch, root.GetProperty("architecture").GetString());
        Assert.True(root.GetProperty("supported").GetBoolean());
        var hp = root.GetProperty("hyperparameters");
        Assert.Equal(arch, hp.GetProperty("architecture").GetString());
        Assert.Equal(embd, hp.GetProperty("embedding_length").GetInt32());
        Assert.Equal(layers, hp.GetProperty("block_count").GetInt32());
        Assert.Equal(heads, hp.GetProperty("head_count").GetInt32());
        Assert.Equal(kvHeads, hp.GetProperty("head_count_kv").GetInt32());
        Assert.Equal(headDim, hp.GetProperty("head_dimension").GetInt32());
        Assert.Equal(ff, hp.GetProperty("feed_forward_length").GetInt32());
        Assert.Equal(vocab, hp.GetProperty("vocab_size").GetInt32());
        Assert.Equal(ropeDims, hp.GetProperty("rope_dimension_count").GetInt32());
        Assert.Equal(theta, hp.GetProperty("rope_freq_base").GetDouble(), theta * 1e-6);
        Assert.Equal(eps, hp.GetProperty("rms_epsilon").GetDouble(), eps * 1e-3);
        Assert.Equal(context, hp.GetProperty("context_length").GetInt32());
        Assert.Equal(scaling, hp.GetProperty("rope_scaling").GetProperty("kind").GetString());
        Assert.True(hp.GetProperty("tied_output").GetBoolean());
        Assert.Equal(vocab, root.GetProperty("vocabulary").GetProperty("size").GetInt32());
    }

    [Fact]
    public void ModelInfo_Phi4Q4KM_ReportsQuantizationMixAndMemory()
    {
        var (code, output, error) = CliRunner.Run("model", "info", SharedPaths.ReferenceFile("models", "ref-phi4-Q4_K_M.gguf"), "--json", "--ctx", "1024");

        Assert.True(code == 0, error);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        var mix = root.GetProperty("quantization_mix").EnumerateArray()
            .ToDictionary(e => e.GetProperty("type").GetString()!, e => e.GetProperty("tensors").GetInt32());
        // README: attn_qkv Q5_0 (blk.0) + Q8_0 (blk.1), attn_output Q5_0, ffn_up Q5_0, ffn_down Q4_K + Q6_K, token_embd Q8_0.
        Assert.Equal(5, mix["Q5_0"]);
        Assert.Equal(2, mix["Q8_0"]);
        Assert.Equal(1, mix["Q4_K"]);
        Assert.Equal(1, mix["Q6_K"]);
        Assert.Equal(7, mix["F32"]);
        Assert.Equal("Phi3", root.GetProperty("chat_template_family").GetString());
        // 2 (K, V) × 2 blocks × 1024 positions × 2 KV heads × 32 dims × 2 bytes.
        Assert.Equal(2L * 2 * 1024 * 2 * 32 * 2, root.GetProperty("kv_cache_bytes_f16").GetInt64());
        Assert.Equal(root.GetProperty("weight_bytes").GetInt64() + (2L * 2 * 1024 * 2 * 32 * 2), root.GetProperty("total_bytes").GetInt64());
    }

    [Fact]
    public void ModelInfo_VocabOnlyStarcoder_ReportsUnsupportedArchitecture()
    {
        var (code, output, _) = CliRunner.Run("model", "info", SharedPaths.ReferenceFile("tokenizer", "ggml-vocab-starcoder.gguf"));

        Assert.Equal(0, code);
        Assert.Contains("starcoder2", output, StringComparison.Ordinal);
        Assert.Contains("model.architecture.unsupported", output, StringComparison.Ordinal);
    }

    [Fact]
    public void ModelInfo_NotAGgufFile_ExitsWithCodeAndFixedMessage()
    {
        var path = Path.Combine(Path.GetTempPath(), $"edgewise-{Guid.NewGuid():N}.gguf");
        File.WriteAllText(path, "FUGG this is not a model file at all");
        try
        {
            var (code, _, error) = CliRunner.Run("model", "info", path);

            Assert.Equal(CliConsole.Verification, code);
            Assert.Contains("gguf.header.magic", error, StringComparison.Ordinal);
            Assert.DoesNotContain(path, error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

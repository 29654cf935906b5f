using System.Text.Json;
using Edgewise.Gguf;
using Edgewise.Inference.Architectures;

namespace Edgewise.Cli.Tests;

public class ModelSynthCommandTests
{
    [Fact]
    public void ModelSynth_Smollm2Q8_0_WritesLoadableModelWithRealShapes()
    {
        var path = Path.Combine(Path.GetTempPath(), $"edgewise-synth-{Guid.NewGuid():N}.gguf");
        try
        {
            var (code, _, error) = CliRunner.Run("model", "synth", "--shape", "smollm2-135m", "--quant", "q8_0", "-o", path, "--seed", "7");
            Assert.True(code == 0, error);

            using var file = GgufFile.Open(path);
            var layout = ModelTensorLayout.Validate(file.Header);
            var hp = layout.Hyperparameters;
            Assert.Equal("llama", hp.ArchitectureName);
            Assert.Equal(576, hp.EmbeddingLength);
            Assert.Equal(30, hp.BlockCount);
            Assert.Equal(9, hp.HeadCount);
            Assert.Equal(3, hp.HeadCountKv);
            Assert.Equal(1536, hp.FeedForwardLength);
            Assert.Equal(49152, hp.VocabSize);
            Assert.True(hp.TiedOutput);
            Assert.Equal(7, file.Metadata.GetInt64(GgufKeys.General.FileType)); // llama_ftype MOSTLY_Q8_0
            // shared/reference/README.md: smollm2-135m has 134.5 M parameters.
            Assert.Equal(134.5, file.Tensors.Sum(t => t.ElementCount) / 1e6, 1);
            Assert.All(file.Tensors.Where(t => t.Dimensions.Count == 2), t => Assert.Equal(GgmlType.Q8_0, t.Type));
            Assert.All(file.Tensors.Where(t => t.Dimensions.Count == 1), t => Assert.Equal(GgmlType.F32, t.Type));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ModelShapes_Json_ListsEveryRequiredShape()
    {
        var (code, output, _) = CliRunner.Run("model", "shapes", "--json");

        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        var names = doc.RootElement.EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToHashSet();
        string[] required = ["qwen2.5-0.5b", "qwen2.5-1.5b", "qwen3-0.6b", "llama3.2-1b", "smollm2-135m", "smollm2-360m", "phi-3.5-mini", "phi-4-mini"];
        Assert.All(required, n => Assert.Contains(n, names));
    }

    [Theory]
    [InlineData("--shape", "gpt-5", "--quant", "q8_0", "unknown shape")]
    [InlineData("--shape", "qwen2.5-0.5b", "--quant", "q3_xs", "unknown quantization")]
    public void ModelSynth_UnknownShapeOrQuant_ExitsWithMessage(string o1, string v1, string o2, string v2, string expected)
    {
        var (code, _, error) = CliRunner.Run("model", "synth", o1, v1, o2, v2, "-o", Path.Combine(Path.GetTempPath(), "never-written.gguf"));

        Assert.Equal(2, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }
}

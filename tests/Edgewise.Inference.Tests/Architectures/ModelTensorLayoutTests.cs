using Edgewise.Gguf;
using Edgewise.Inference.Architectures;
using Edgewise.Inference.Model;
using Edgewise.Inference.Tests.Support;
using Edgewise.Testing;

namespace Edgewise.Inference.Tests.Architectures;

public sealed class ModelTensorLayoutTests
{
    public static TheoryData<string> ShippedModels => new()
    {
        "ref-qwen2-F32.gguf", "ref-qwen2-Q4_K_M.gguf", "ref-phi3-F16.gguf", "ref-phi3-Q4_0.gguf", "ref-phi3-Q4_K_M.gguf",
        "ref-qwen3-Q8_0.gguf", "ref-llama32-F16.gguf", "ref-phi4-F16.gguf", "ref-phi4-Q8_0.gguf", "ref-phi4-Q4_K_M.gguf",
    };

    [Theory]
    [MemberData(nameof(ShippedModels))]
    public void Validate_ShippedModel_EveryPresentTensorBound(string file)
    {
        using var gguf = GgufFile.Open(SharedPaths.ReferenceFile("models", file));

        var layout = ModelTensorLayout.Validate(gguf.Header);

        var bound = layout.Tensors.Where(t => gguf.FindTensor(t.Name) is not null).Select(t => t.Name).ToHashSet();
        Assert.Equal(gguf.Tensors.Count, bound.Count);
    }

    [Theory]
    [InlineData("llama")]
    [InlineData("qwen2")]
    [InlineData("qwen3")]
    [InlineData("phi3")]
    public void Load_TinyModel_Succeeds(string arch)
    {
        using var model = new TinyModel(arch).Load();

        Assert.Equal(arch, model.Hyperparameters.ArchitectureName);
    }

    [Theory]
    [InlineData("llama", "blk.1.ffn_down.weight")]
    [InlineData("qwen2", "blk.0.attn_k.bias")]
    [InlineData("qwen3", "blk.1.attn_q_norm.weight")]
    [InlineData("phi3", "blk.0.attn_qkv.weight")]
    [InlineData("llama", "output_norm.weight")]
    [InlineData("llama", "token_embd.weight")]
    public void G17_M08_Load_MissingTensor_TensorMissing(string arch, string tensor)
    {
        var bytes = new TinyModel(arch).Override(tensor, null).Build();

        var ex = Assert.Throws<InvalidModelFileException>(() => LocalModel.Load(GgufFile.FromBytes(bytes), ownsFile: true));

        Assert.Equal(GgufErrorCodes.TensorMissing, ex.Code);
    }

    [Theory]
    [InlineData("llama", "blk.0.attn_q.weight", new long[] { 32, 16 })]
    [InlineData("qwen2", "blk.0.attn_q.bias", new long[] { 16 })]
    [InlineData("qwen3", "blk.0.attn_k_norm.weight", new long[] { 8 })]
    [InlineData("phi3", "blk.1.ffn_up.weight", new long[] { 32, 64 })]
    [InlineData("llama", "blk.0.ffn_down.weight", new long[] { 32, 64 })]
    [InlineData("llama", "output_norm.weight", new long[] { 32, 1 })]
    public void G17_M08_Load_WrongShape_TensorShapeMismatch(string arch, string tensor, long[] shape)
    {
        var bytes = new TinyModel(arch).Override(tensor, shape).Build();

        var ex = Assert.Throws<InvalidModelFileException>(() => LocalModel.Load(GgufFile.FromBytes(bytes), ownsFile: true));

        Assert.Equal(GgufErrorCodes.TensorShapeMismatch, ex.Code);
    }

    [Fact]
    public void G18_M08_Load_EmbeddingRowsDifferFromVocabulary_TensorShapeMismatch()
    {
        var bytes = new TinyModel("llama").Override(TensorNames.TokenEmbedding, [32, 47]).Build();

        var ex = Assert.Throws<InvalidModelFileException>(() => LocalModel.Load(GgufFile.FromBytes(bytes), ownsFile: true));

        Assert.Equal(GgufErrorCodes.TensorShapeMismatch, ex.Code);
    }

    [Fact]
    public void Load_OutputRowsDifferFromVocabulary_TensorShapeMismatch()
    {
        var bytes = new TinyModel("llama").With(TensorNames.Output).Override(TensorNames.Output, [32, 49]).Build();

        var ex = Assert.Throws<InvalidModelFileException>(() => LocalModel.Load(GgufFile.FromBytes(bytes), ownsFile: true));

        Assert.Equal(GgufErrorCodes.TensorShapeMismatch, ex.Code);
    }

    [Fact]
    public void For_Phi3_FusedProjections()
    {
        using var file = GgufFile.FromBytes(new TinyModel("phi3").Build());
        var layout = ModelTensorLayout.For(ModelHyperparameters.Read(file.Header));

        var qkv = layout.Tensors.Single(t => t.Name == "blk.0.attn_qkv.weight");
        var up = layout.Tensors.Single(t => t.Name == "blk.0.ffn_up.weight");

        Assert.Equal([32L, 32 + 16 + 16], qkv.Shape);
        Assert.Equal([32L, 128], up.Shape);
        Assert.DoesNotContain(layout.Tensors, t => t.Name == "blk.0.ffn_gate.weight");
    }
}

using System.Text.Json;
using Edgewise.Inference.Constraints;
using Microsoft.Extensions.AI;
using static Edgewise.Inference.Tests.Constraints.ConstraintTestSupport;

namespace Edgewise.Inference.Tests.Constraints;

public sealed class LazyToolCallTests
{
    private static ToolCallConstraint Lazy()
    {
        using var schema = JsonDocument.Parse("""{"type":"object","properties":{"q":{"type":"string","maxLength":4}},"required":["q"]}""");
        return new ToolCallConstraint([AIFunctionFactory.CreateDeclaration("search", "Search.", schema.RootElement.Clone())], ToolCallFormat.Hermes, lazy: true);
    }

    [Fact]
    public void Accept_FreeTextThenTrigger_ActivatesAndMasks()
    {
        var sampler = Lazy().CreateSampler(Qwen);
        var allowed = new ulong[(Qwen.Vocabulary.Count + 63) / 64];
        foreach (var id in Qwen.Encode("Let me look that up. ", addSpecial: false, parseSpecial: true))
        {
            sampler.Accept(id);
        }

        Assert.False(sampler.IsActive);
        sampler.ComputeAllowed(allowed);
        Assert.All(allowed, w => Assert.Equal(ulong.MaxValue, w));

        foreach (var id in Qwen.Encode("<tool_call>", addSpecial: false, parseSpecial: true))
        {
            sampler.Accept(id);
        }

        Assert.True(sampler.IsActive);
        Assert.False(sampler.IsFailed);
        sampler.ComputeAllowed(allowed);
        var newline = Qwen.Encode("\n", addSpecial: false, parseSpecial: false).Single();
        var word = Qwen.Encode("Hello", addSpecial: false, parseSpecial: false)[0];
        Assert.NotEqual(0UL, allowed[newline >> 6] & (1UL << (newline & 63)));
        Assert.Equal(0UL, allowed[word >> 6] & (1UL << (word & 63)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ParseCalls_SampledAfterTrigger_OneValidCallAndTextBefore(int seed)
    {
        var constraint = Lazy();
        var sampler = constraint.CreateSampler(Qwen);
        foreach (var id in Qwen.Encode("Sure.<tool_call>", addSpecial: false, parseSpecial: true))
        {
            sampler.Accept(id);
        }

        var (rest, ended) = SampleRandom(sampler, Qwen, seed, 120);

        Assert.True(ended);
        Assert.True(constraint.ParseCalls("Sure.<tool_call>" + rest, out var before, out var calls), rest);
        Assert.Equal("Sure.", before);
        var call = Assert.Single(calls);
        Assert.Equal("search", call.Name);
        Assert.True(((JsonElement)call.Arguments!["q"]!).GetString()!.EnumerateRunes().Count() <= 4);
    }

    [Fact]
    public void ParseCalls_TruncatedCall_NoCalls()
    {
        Assert.False(Lazy().ParseCalls("Hi <tool_call>\n{\"name\": \"search\", \"argu", out var before, out var calls));
        Assert.Equal("Hi ", before);
        Assert.Empty(calls);
    }
}

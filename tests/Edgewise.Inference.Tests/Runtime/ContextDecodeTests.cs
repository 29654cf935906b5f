using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime;
using Edgewise.Testing;

namespace Edgewise.Inference.Tests.Runtime;

public sealed class ContextDecodeTests : IDisposable
{
    private readonly LocalModel _model = LocalModel.Load(SharedPaths.ReferenceFile("models", "ref-qwen2-F32.gguf"));

    public void Dispose() => _model.Dispose();

    [Fact]
    public void Decode_ThreeSequencesOneStepEach_SameLogitsAsEachAlone()
    {
        int[][] prompts = [[9707, 11, 1879], [785, 6722, 315, 9625, 374], [40]];
        using var batched = _model.CreateContext(new ContextOptions { SequenceCount = 3, ContextLength = 64 });
        var alone = prompts.Select(_ => _model.CreateContext(new ContextOptions { ContextLength = 64 })).ToArray();
        var next = new int[3];
        for (var s = 0; s < 3; s++)
        {
            next[s] = ArgMax(batched.Evaluate(prompts[s], s));
            Assert.Equal(next[s], ArgMax(alone[s].Evaluate(prompts[s])));
        }

        for (var step = 0; step < 4; step++)
        {
            var logits = batched.Decode(next, [0, 1, 2]).ToArray();
            for (var s = 0; s < 3; s++)
            {
                var expected = alone[s].Evaluate([next[s]]).ToArray();
                var actual = logits.AsSpan(s * batched.VocabSize, batched.VocabSize).ToArray();
                var maxDiff = expected.Zip(actual, (a, b) => Math.Abs(a - b)).Max();
                Assert.True(maxDiff <= 1e-4f, $"sequence {s}, step {step}: max |Δlogit| = {maxDiff}");
                Assert.Equal(prompts[s].Length + step + 1, batched.GetSequenceLength(s));
                next[s] = ArgMax(actual);
            }
        }

        foreach (var context in alone)
        {
            context.Dispose();
        }
    }

    [Fact]
    public void Decode_RepeatedSequence_Throws()
    {
        using var context = _model.CreateContext(new ContextOptions { SequenceCount = 2, ContextLength = 16 });

        Assert.Throws<ArgumentException>(() => context.Decode([1, 2], [1, 1]));
        Assert.Throws<ArgumentException>(() => context.Decode([1], [0, 1]));
        Assert.Equal(0, context.GetSequenceLength(0));
    }

    private static int ArgMax(ReadOnlySpan<float> logits)
    {
        var best = 0;
        for (var i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }

        return best;
    }
}

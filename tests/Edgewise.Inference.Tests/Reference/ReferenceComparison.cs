using System.Globalization;
using System.Text;
using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime;
using Edgewise.Testing;

namespace Edgewise.Inference.Tests.Reference;

/// <summary>Runs a reference JSON through the engine and measures the agreement as the reference README prescribes.</summary>
internal static class ReferenceComparison
{
    public static LocalModel LoadModel(string file) => LocalModel.Load(SharedPaths.ReferenceFile("models", file));

    public static Context CreateContext(LocalModel model, ReferenceLogits reference) => model.CreateContext(new ContextOptions
    {
        ContextLength = reference.ContextLength,
        BatchSize = reference.ContextLength,
        MaxLogitRows = reference.Prompts.Max(p => p.EvalTokens.Length),
        KvCacheType = KvCacheType.F32,
    });

    /// <summary>Teacher-forced: every prompt in one batch; |Δ| over the 20 reference ids at every position.</summary>
    public static TeacherForcedResult TeacherForced(Context context, ReferenceLogits reference, float tol)
    {
        var deltas = new List<float>();
        var failures = new StringBuilder();
        var failureCount = 0;
        var vocab = context.VocabSize;
        for (var p = 0; p < reference.Prompts.Count; p++)
        {
            var prompt = reference.Prompts[p];
            context.ClearSequence(0);
            var logits = context.Evaluate(prompt.EvalTokens, 0, allLogits: true);
            for (var i = 0; i < prompt.TeacherForced.Count; i++)
            {
                var expected = prompt.TeacherForced[i];
                var row = logits.Slice(i * vocab, vocab);
                for (var j = 0; j < expected.TopIds.Length; j++)
                {
                    deltas.Add(Math.Abs(row[expected.TopIds[j]] - expected.TopLogits[j]));
                }

                var argMax = ArgMax(row);
                if (expected.Gap > 3 * tol && argMax != expected.TopIds[0] && ++failureCount <= 5)
                {
                    failures.Append(CultureInfo.InvariantCulture, $"prompt {p} pos {i}: top-1 {argMax}, expected {expected.TopIds[0]} (gap {expected.Gap}); ");
                }
            }
        }

        if (failureCount > 5)
        {
            failures.Append(CultureInfo.InvariantCulture, $"{failureCount} top-1 mismatches in all.");
        }

        deltas.Sort();
        var p99 = deltas[Math.Max(0, (int)Math.Ceiling(0.99 * deltas.Count) - 1)];
        return new TeacherForcedResult(p99, deltas[^1], deltas.Count, failures.ToString());
    }

    /// <summary>Greedy: prompt in one batch, then one token at a time; compares up to the first near-tie.</summary>
    public static string Greedy(Context context, ReferenceLogits reference, float tol)
    {
        var failures = new StringBuilder();
        Span<int> one = stackalloc int[1];
        for (var p = 0; p < reference.Prompts.Count; p++)
        {
            var prompt = reference.Prompts[p];
            context.ClearSequence(0);
            var next = ArgMax(context.Evaluate(prompt.EvalTokens));
            for (var k = 0; k < prompt.GreedyTokens.Length; k++)
            {
                if (prompt.GreedySteps[k].Gap <= 3 * tol)
                {
                    break;
                }

                if (next != prompt.GreedyTokens[k])
                {
                    failures.Append(CultureInfo.InvariantCulture, $"prompt {p} step {k}: {next}, expected {prompt.GreedyTokens[k]}; ");
                    break;
                }

                one[0] = next;
                next = ArgMax(context.Evaluate(one));
            }
        }

        return failures.ToString();
    }

    public static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }
}

internal sealed record TeacherForcedResult(float P99, float Max, int Count, string TopOneFailures)
{
    public string Describe(string variant) =>
        string.Create(CultureInfo.InvariantCulture, $"{variant}: p99 {P99:G4}, max {Max:G4} over {Count} logits. {TopOneFailures}");
}

using Edgewise.Inference.Runtime;

namespace Edgewise.Inference.Generation;

/// <summary>The logits summary at one position of a teacher-forced evaluation (the shape of shared/reference/logits).</summary>
/// <param name="Pos">Position i: the logits after the model has seen tokens 0..i.</param>
/// <param name="TopIds">The largest logits' ids, largest first; ties go to the smaller id.</param>
/// <param name="TopLogits">Their logits.</param>
/// <param name="Logsumexp">log Σ exp(logit) over the whole vocabulary, computed in double.</param>
/// <param name="NextToken">Token i+1 (absent at the last position).</param>
/// <param name="NextTokenLogit">Its logit.</param>
public sealed record PositionLogits(int Pos, int[] TopIds, float[] TopLogits, double Logsumexp, int? NextToken, float? NextTokenLogit);

/// <summary>A teacher-forced evaluation of a token sequence.</summary>
/// <param name="NVocab">Logits per position.</param>
/// <param name="EvalTokens">The evaluated tokens.</param>
/// <param name="TeacherForced">One entry per position.</param>
public sealed record TeacherForcedReport(int NVocab, int[] EvalTokens, IReadOnlyList<PositionLogits> TeacherForced);

/// <summary>Evaluates a whole token sequence in one pass and summarizes the logits at every position.</summary>
public static class TeacherForcing
{
    /// <summary>Clears sequence 0 of <paramref name="context"/>, evaluates <paramref name="tokens"/> with logits at every position and keeps the top <paramref name="top"/> of each.</summary>
    /// <exception cref="ContextLimitExceededException">The tokens do not fit the context.</exception>
    public static TeacherForcedReport Evaluate(Context context, IReadOnlyList<int> tokens, int top)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        int[] ids = [.. tokens];
        context.ClearSequence(0);
        var logits = context.Evaluate(ids, 0, allLogits: true);
        var vocab = context.VocabSize;
        var k = Math.Min(top, vocab);
        var positions = new PositionLogits[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            var row = logits.Slice(i * vocab, vocab);
            var topIds = TopK(row, k);
            var topLogits = new float[k];
            for (var j = 0; j < k; j++)
            {
                topLogits[j] = row[topIds[j]];
            }

            int? next = i + 1 < ids.Length ? ids[i + 1] : null;
            positions[i] = new PositionLogits(i, topIds, topLogits, LogSumExp(row), next, next is { } n ? row[n] : null);
        }

        return new TeacherForcedReport(vocab, ids, positions);
    }

    /// <summary>Indices of the <paramref name="k"/> largest values, largest first, ties to the smaller index.</summary>
    public static int[] TopK(ReadOnlySpan<float> values, int k)
    {
        var ids = new int[k];
        var count = 0;
        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i];
            if (count == k && !Before(v, i, values[ids[k - 1]], ids[k - 1]))
            {
                continue;
            }

            var at = count < k ? count++ : k - 1;
            while (at > 0 && Before(v, i, values[ids[at - 1]], ids[at - 1]))
            {
                ids[at] = ids[at - 1];
                at--;
            }

            ids[at] = i;
        }

        return ids;
    }

    private static bool Before(float value, int id, float otherValue, int otherId) =>
        value > otherValue || (value == otherValue && id < otherId);

    private static double LogSumExp(ReadOnlySpan<float> row)
    {
        double max = double.NegativeInfinity;
        foreach (var v in row)
        {
            max = Math.Max(max, v);
        }

        double sum = 0;
        foreach (var v in row)
        {
            sum += Math.Exp(v - max);
        }

        return max + Math.Log(sum);
    }
}

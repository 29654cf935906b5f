using System.Text.Json;
using Edgewise.Testing;

namespace Edgewise.Inference.Tests.Reference;

/// <summary>One shared/reference/logits JSON file (see the reference README).</summary>
internal sealed class ReferenceLogits
{
    public required string ModelFile { get; init; }

    public required int VocabSize { get; init; }

    public required int ContextLength { get; init; }

    public required IReadOnlyList<ReferencePrompt> Prompts { get; init; }

    public static ReferenceLogits Load(string jsonName)
    {
        using var stream = File.OpenRead(SharedPaths.ReferenceFile("logits", jsonName));
        using var doc = JsonDocument.Parse(stream);
        var root = doc.RootElement;
        var settings = root.GetProperty("settings");
        var prompts = new List<ReferencePrompt>();
        foreach (var p in root.GetProperty("prompts").EnumerateArray())
        {
            var positions = new List<ReferencePosition>();
            foreach (var tf in p.GetProperty("teacher_forced").EnumerateArray())
            {
                positions.Add(new ReferencePosition(Ints(tf.GetProperty("top_ids")), Floats(tf.GetProperty("top_logits"))));
            }

            var steps = new List<ReferencePosition>();
            foreach (var step in p.GetProperty("greedy_steps").EnumerateArray())
            {
                steps.Add(new ReferencePosition(Ints(step.GetProperty("top5_ids")), Floats(step.GetProperty("top5_logits"))));
            }

            prompts.Add(new ReferencePrompt(
                Ints(p.GetProperty("eval_tokens")),
                positions,
                Ints(p.GetProperty("greedy_tokens")),
                steps));
        }

        return new ReferenceLogits
        {
            ModelFile = root.GetProperty("model_file").GetString()!,
            VocabSize = root.GetProperty("n_vocab").GetInt32(),
            ContextLength = settings.TryGetProperty("n_ctx", out var ctx) ? ctx.GetInt32() : 1024,
            Prompts = prompts,
        };
    }

    private static int[] Ints(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetInt32())];

    private static float[] Floats(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetSingle())];
}

/// <summary>One prompt: evaluated tokens, per-position top-20, greedy continuation.</summary>
internal sealed record ReferencePrompt(
    int[] EvalTokens,
    IReadOnlyList<ReferencePosition> TeacherForced,
    int[] GreedyTokens,
    IReadOnlyList<ReferencePosition> GreedySteps);

/// <summary>The top ids (largest first) and their logits at one position.</summary>
internal sealed record ReferencePosition(int[] TopIds, float[] TopLogits)
{
    public float Gap => TopLogits[0] - TopLogits[1];
}

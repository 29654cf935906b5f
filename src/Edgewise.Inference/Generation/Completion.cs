using System.Diagnostics;
using Edgewise.Inference.Runtime;
using Edgewise.Inference.Sampling;
using Edgewise.Tokenization;

namespace Edgewise.Inference.Generation;

/// <summary>A raw completion request: prompt tokens in, sampled tokens out (no chat template).</summary>
public sealed class CompletionRequest
{
    /// <summary>Prompt token ids (at least one).</summary>
    public required IReadOnlyList<int> Prompt { get; init; }

    /// <summary>Most tokens to generate.</summary>
    public int MaxTokens { get; init; } = 128;

    /// <summary>Sampling settings; null properties mean the sampler chain's defaults.</summary>
    public SamplingOptions Sampling { get; init; } = new();

    /// <summary>Keep going past end-of-generation tokens (for benchmarks and reference comparisons).</summary>
    public bool IgnoreEndOfGeneration { get; init; }

    /// <summary>Stop strings; the text ends before the first one.</summary>
    public IReadOnlyList<string>? StopSequences { get; init; }

    /// <summary>What the output must look like (JSON schema, choices, tool calls); default none.</summary>
    public Constraints.Constraint? Constraint { get; init; }

    /// <summary>The KV-cache sequence to use; it is cleared first.</summary>
    public int Sequence { get; init; }
}

/// <summary>What a completion produced, with timings.</summary>
/// <param name="Tokens">Generated ids (an end-of-generation token that stopped the run is included).</param>
/// <param name="Text">Generated text (special tokens not rendered; stop string excluded).</param>
/// <param name="FinishReason"><c>stop</c> (end of generation or a stop string) or <c>length</c>.</param>
/// <param name="PromptTokens">Prompt length.</param>
/// <param name="PromptTime">Time to evaluate the prompt and sample the first token.</param>
/// <param name="GenerationTime">Time for the remaining tokens.</param>
public sealed record CompletionResult(int[] Tokens, string Text, string FinishReason, int PromptTokens, TimeSpan PromptTime, TimeSpan GenerationTime)
{
    /// <summary>Prompt tokens per second.</summary>
    public double PromptTokensPerSecond => PromptTime > TimeSpan.Zero ? PromptTokens / PromptTime.TotalSeconds : 0;

    /// <summary>Generated tokens per second, first token excluded (it is produced by the prompt pass).</summary>
    public double GenerationTokensPerSecond => Tokens.Length > 1 && GenerationTime > TimeSpan.Zero ? (Tokens.Length - 1) / GenerationTime.TotalSeconds : 0;
}

/// <summary>The generation loop for raw completions: evaluate the prompt in batches, then decode token by token.</summary>
public static class Completion
{
    /// <summary>Runs <paramref name="request"/> on <paramref name="context"/>.</summary>
    /// <param name="context">A context of the model.</param>
    /// <param name="tokenizer">The model's tokenizer (end-of-generation ids and text).</param>
    /// <param name="request">What to generate.</param>
    /// <param name="onText">Called with each piece of text as it becomes complete (never a broken UTF-8 character).</param>
    /// <param name="cancellationToken">Checked before every decode step.</param>
    /// <exception cref="ContextLimitExceededException">The prompt does not fit; nothing was evaluated.</exception>
    public static CompletionResult Run(Context context, Tokenizer tokenizer, CompletionRequest request, Action<string>? onText = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfNegative(request.MaxTokens);
        if (request.Prompt.Count == 0)
        {
            throw new ArgumentException("The prompt needs at least one token.", nameof(request));
        }

        var sampler = SamplerChain.Create(request.Sampling, context.VocabSize, request.Constraint?.CreateSampler(tokenizer));
        var stops = new StopSequenceMatcher(request.StopSequences);
        var detokenizer = new StreamingDetokenizer(tokenizer);
        var text = new System.Text.StringBuilder();
        var tokens = new List<int>(Math.Min(request.MaxTokens, 4096));
        var sequence = request.Sequence;
        context.ClearSequence(sequence);
        int[] prompt = [.. request.Prompt];
        sampler.AcceptPrompt(prompt);

        var finish = "length";
        var clock = Stopwatch.StartNew();
        var promptTime = TimeSpan.Zero;
        ReadOnlySpan<int> input = prompt;
        var single = new int[1];
        while (tokens.Count < request.MaxTokens && context.GetRemainingCapacity(sequence) >= input.Length)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var token = sampler.Sample(context.Evaluate(input, sequence));
            if (tokens.Count == 0)
            {
                promptTime = clock.Elapsed;
            }

            sampler.Accept(token);
            tokens.Add(token);
            if (!request.IgnoreEndOfGeneration && tokenizer.IsEndOfGeneration(token))
            {
                finish = "stop";
                break;
            }

            Emit(stops.Push(detokenizer.Append(token)), text, onText);
            if (stops.Stopped)
            {
                finish = "stop";
                break;
            }

            single[0] = token;
            input = single;
        }

        Emit(stops.Push(detokenizer.Flush()) + stops.Flush(), text, onText);
        if (stops.Stopped)
        {
            finish = "stop";
        }

        var generationTime = clock.Elapsed - promptTime;
        return new CompletionResult([.. tokens], text.ToString(), finish, prompt.Length, promptTime, generationTime);
    }

    private static void Emit(string piece, System.Text.StringBuilder text, Action<string>? onText)
    {
        if (piece.Length == 0)
        {
            return;
        }

        text.Append(piece);
        onText?.Invoke(piece);
    }
}

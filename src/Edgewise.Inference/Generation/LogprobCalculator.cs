using System.Text;
using System.Text.Json;
using Edgewise.Tokenization;
using Microsoft.Extensions.AI;

namespace Edgewise.Inference.Generation;

/// <summary>
/// Natural-log probabilities of the raw model distribution (log-softmax of the logits) for a chosen token and the
/// most likely alternatives. Per-request settings come from <c>ChatOptions.AdditionalProperties</c>
/// (<c>logprobs</c>: bool, <c>top_logprobs</c>: int 0 … 20).
/// </summary>
internal sealed class LogprobCalculator
{
    /// <summary>Most alternatives per token.</summary>
    public const int MaxTopLogprobs = 20;

    private readonly Tokenizer _tokenizer;
    private readonly int[] _topIds;
    private readonly float[] _topLogits;

    public LogprobCalculator(Tokenizer tokenizer, int top)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(top);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(top, MaxTopLogprobs);
        _tokenizer = tokenizer;
        Top = top;
        _topIds = new int[top];
        _topLogits = new float[top];
    }

    /// <summary>Alternatives returned per token.</summary>
    public int Top { get; }

    /// <summary>The calculator <paramref name="options"/> ask for, or null when they do not ask for logprobs.</summary>
    /// <exception cref="ArgumentException">A value has the wrong type or <c>top_logprobs</c> is outside 0 … 20.</exception>
    public static LogprobCalculator? FromOptions(ChatOptions? options, Tokenizer tokenizer)
    {
        var properties = options?.AdditionalProperties;
        if (properties is null || !properties.TryGetValue(LocalChatClient.LogprobsKey, out var flag) || !ReadBool(flag))
        {
            return null;
        }

        var top = properties.TryGetValue(LocalChatClient.TopLogprobsKey, out var value) && value is not null ? ReadInt(value) : 0;
        if (top is < 0 or > MaxTopLogprobs)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "top_logprobs must be between 0 and 20.");
        }

        return new LogprobCalculator(tokenizer, top);
    }

    /// <summary>ln Σ exp(logits), computed stably in double precision.</summary>
    public static double LogNormalizer(ReadOnlySpan<float> logits)
    {
        double max = float.NegativeInfinity;
        foreach (var l in logits)
        {
            max = Math.Max(max, l);
        }

        var sum = 0.0;
        foreach (var l in logits)
        {
            sum += Math.Exp((double)l - max);
        }

        return max + Math.Log(sum);
    }

    /// <summary>The logprob record of <paramref name="token"/> chosen from <paramref name="logits"/>.</summary>
    public TokenLogprob Compute(ReadOnlySpan<float> logits, int token)
    {
        var normalizer = LogNormalizer(logits);
        var count = SelectTop(logits);
        var alternatives = new TokenLogprobAlternative[count];
        for (var i = 0; i < count; i++)
        {
            var bytes = Bytes(_topIds[i]);
            alternatives[i] = new TokenLogprobAlternative(Encoding.UTF8.GetString(bytes), Math.Min(0.0, _topLogits[i] - normalizer), bytes);
        }

        var own = Bytes(token);
        return new TokenLogprob(Encoding.UTF8.GetString(own), Math.Min(0.0, logits[token] - normalizer), own, alternatives);
    }

    private static bool ReadBool(object? value) => value switch
    {
        bool b => b,
        string s when bool.TryParse(s, out var b) => b,
        JsonElement { ValueKind: JsonValueKind.True } => true,
        JsonElement { ValueKind: JsonValueKind.False or JsonValueKind.Null } => false,
        null => false,
        _ => throw new ArgumentException("logprobs must be a boolean.", nameof(value)),
    };

    private static int ReadInt(object value) => value switch
    {
        int i => i,
        long l => (int)Math.Clamp(l, int.MinValue, int.MaxValue),
        short s => s,
        byte b => b,
        string s when int.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var i) => i,
        JsonElement { ValueKind: JsonValueKind.Number } e when e.TryGetInt32(out var i) => i,
        _ => throw new ArgumentException("top_logprobs must be an integer.", nameof(value)),
    };

    private byte[] Bytes(int token) => _tokenizer.TokenToPiece(token, renderSpecial: true).ToArray();

    /// <summary>Keeps the <see cref="Top"/> highest logits (ties: lower id first) in descending order.</summary>
    private int SelectTop(ReadOnlySpan<float> logits)
    {
        var count = 0;
        var k = Top;
        if (k == 0)
        {
            return 0;
        }

        for (var id = 0; id < logits.Length; id++)
        {
            var l = logits[id];
            if (count == k && !(l > _topLogits[k - 1]))
            {
                continue;
            }

            var at = count < k ? count++ : k - 1;
            while (at > 0 && l > _topLogits[at - 1])
            {
                _topLogits[at] = _topLogits[at - 1];
                _topIds[at] = _topIds[at - 1];
                at--;
            }

            _topLogits[at] = l;
            _topIds[at] = id;
        }

        return count;
    }
}

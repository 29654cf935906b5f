using Edgewise.Inference;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.OpenAi;

/// <summary>OpenAI chat <c>logprobs</c>: one entry per generated token.</summary>
internal sealed record ChatLogprobsDto(IReadOnlyList<TokenLogprobDto> Content)
{
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)]
    public object? Refusal => null;
}

/// <summary>A token with its log probability and the most likely alternatives.</summary>
internal sealed record TokenLogprobDto(string Token, double Logprob, IReadOnlyList<int> Bytes, IReadOnlyList<TopLogprobDto> TopLogprobs);

/// <summary>An alternative token at a step.</summary>
internal sealed record TopLogprobDto(string Token, double Logprob, IReadOnlyList<int> Bytes);

/// <summary>Legacy completions <c>logprobs</c>: parallel arrays, alternatives as token → logprob maps.</summary>
internal sealed record CompletionLogprobsDto(
    IReadOnlyList<string> Tokens,
    IReadOnlyList<double> TokenLogprobs,
    IReadOnlyList<Dictionary<string, double>>? TopLogprobs,
    IReadOnlyList<int> TextOffset);

/// <summary>
/// Asks the model for per-token log probabilities (<see cref="ChatCapabilities.Logprobs"/>, a capability the model's
/// client must declare) and writes them in OpenAI's two shapes.
/// </summary>
internal static class Logprobs
{
    public static void Request(ChatOptions options, int topLogprobs) => options.WithLogprobs(topLogprobs);

    public static bool Requested(ChatOptions? options) => (options.RequiredCapabilities() & ChatCapabilities.Logprobs) != 0;

    /// <summary>The tokens an update or response carries; empty when none.</summary>
    public static IReadOnlyList<TokenLogprob> Of(AdditionalPropertiesDictionary? properties) => ChatCapabilityOptions.Logprobs(properties);

    public static ChatLogprobsDto ToChat(IReadOnlyList<TokenLogprob> tokens)
    {
        var content = new List<TokenLogprobDto>(tokens.Count);
        foreach (var t in tokens)
        {
            var top = new List<TopLogprobDto>(t.TopLogprobs.Count);
            foreach (var alt in t.TopLogprobs)
            {
                top.Add(new TopLogprobDto(alt.Token, alt.Logprob, Bytes(alt.Bytes)));
            }

            content.Add(new TokenLogprobDto(t.Token, t.Logprob, Bytes(t.Bytes), top));
        }

        return new ChatLogprobsDto(content);
    }

    /// <summary>Completions logprobs; <paramref name="offset"/> is the text length before the first token.</summary>
    public static CompletionLogprobsDto ToCompletion(IReadOnlyList<TokenLogprob> tokens, int topCount, int offset)
    {
        var texts = new List<string>(tokens.Count);
        var logprobs = new List<double>(tokens.Count);
        var offsets = new List<int>(tokens.Count);
        var top = topCount > 0 ? new List<Dictionary<string, double>>(tokens.Count) : null;
        foreach (var t in tokens)
        {
            texts.Add(t.Token);
            logprobs.Add(t.Logprob);
            offsets.Add(offset);
            offset += t.Token.Length;
            if (top is not null)
            {
                var map = new Dictionary<string, double>(StringComparer.Ordinal);
                foreach (var alt in t.TopLogprobs)
                {
                    map.TryAdd(alt.Token, alt.Logprob);
                }

                top.Add(map);
            }
        }

        return new CompletionLogprobsDto(texts, logprobs, top, offsets);
    }

    private static int[] Bytes(IReadOnlyList<byte> bytes)
    {
        var result = new int[bytes.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = bytes[i];
        }

        return result;
    }
}

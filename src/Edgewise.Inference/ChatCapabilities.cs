using Microsoft.Extensions.AI;

namespace Edgewise.Inference;

/// <summary>
/// What a chat client can do beyond <see cref="IChatClient"/>'s contract. A client declares its capabilities by
/// answering <c>GetService(typeof(ChatCapabilities))</c> (decorators pass the question on); a client that answers
/// nothing has none. A request asks for one with <see cref="ChatCapabilityOptions"/>, and a host refuses a request
/// whose client lacks what it asks for, rather than letting the client ignore it.
/// </summary>
[Flags]
public enum ChatCapabilities
{
    /// <summary>Nothing beyond chat.</summary>
    None = 0,

    /// <summary>A raw prompt: the single user message tokenized as is, no chat template (text completion).</summary>
    RawPrompt = 1,

    /// <summary>Per-token log probabilities with the most likely alternatives.</summary>
    Logprobs = 2,
}

/// <summary>Asks for <see cref="ChatCapabilities"/> on <see cref="ChatOptions"/>, and reads what a request asks for and what a client declares.</summary>
public static class ChatCapabilityOptions
{
    /// <summary>Asks for a raw prompt (<see cref="ChatCapabilities.RawPrompt"/>).</summary>
    public static ChatOptions WithRawPrompt(this ChatOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AdditionalProperties ??= [];
        options.AdditionalProperties[LocalChatClient.RawPromptKey] = true;
        return options;
    }

    /// <summary>Asks for log probabilities with <paramref name="top"/> alternatives per token (<see cref="ChatCapabilities.Logprobs"/>).</summary>
    public static ChatOptions WithLogprobs(this ChatOptions options, int top)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AdditionalProperties ??= [];
        options.AdditionalProperties[LocalChatClient.LogprobsKey] = true;
        options.AdditionalProperties[LocalChatClient.TopLogprobsKey] = top;
        return options;
    }

    /// <summary>The capabilities <paramref name="options"/> ask for.</summary>
    public static ChatCapabilities RequiredCapabilities(this ChatOptions? options)
    {
        var properties = options?.AdditionalProperties;
        if (properties is null)
        {
            return ChatCapabilities.None;
        }

        var required = ChatCapabilities.None;
        if (properties.TryGetValue(LocalChatClient.RawPromptKey, out var raw) && raw is true)
        {
            required |= ChatCapabilities.RawPrompt;
        }

        if (properties.TryGetValue(LocalChatClient.LogprobsKey, out var logprobs) && logprobs is true)
        {
            required |= ChatCapabilities.Logprobs;
        }

        return required;
    }

    /// <summary>The capabilities <paramref name="client"/> declares; <see cref="ChatCapabilities.None"/> when it declares none.</summary>
    public static ChatCapabilities Capabilities(this IChatClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.GetService(typeof(ChatCapabilities)) is ChatCapabilities declared ? declared : ChatCapabilities.None;
    }

    /// <summary>True when a response or update carries log probabilities (possibly none for an empty answer).</summary>
    public static bool HasLogprobs(AdditionalPropertiesDictionary? properties) =>
        properties?.ContainsKey(LocalChatClient.LogprobsKey) == true;

    /// <summary>The log probabilities a response or update carries; empty when none.</summary>
    public static IReadOnlyList<TokenLogprob> Logprobs(AdditionalPropertiesDictionary? properties) =>
        properties?.TryGetValue(LocalChatClient.LogprobsKey, out var value) == true && value is IReadOnlyList<TokenLogprob> list ? list : [];
}

using System.ClientModel;
using System.Collections.Concurrent;
using System.ClientModel.Primitives;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using OpenAI;
using Sdk = OpenAI.Chat;

namespace Edgewise.Models.Remote;

/// <summary>
/// An <see cref="IChatClient"/> over any OpenAI-compatible chat-completions endpoint (Ollama, llama-server, vLLM, Foundry
/// Local, OpenAI itself) through the official OpenAI .NET SDK. Failures surface as <see cref="ModelException"/> with fixed
/// messages: <see cref="ModelErrorCodes.Unauthorized"/> (401/403), <see cref="ModelErrorCodes.RemoteNotFound"/> (404),
/// <see cref="ModelErrorCodes.RequestRejected"/> (other 4xx), <see cref="ModelErrorCodes.BackendUnavailable"/> (5xx),
/// <see cref="ModelErrorCodes.Offline"/> (no connection), <see cref="ModelErrorCodes.Timeout"/> and
/// <see cref="ModelErrorCodes.InvalidResponse"/> (a body that is not the wire format, or a stream that ends without a finish reason). The SDK's own retries are off: a
/// failover list decides what to try next.
/// </summary>
public sealed class OpenAiCompatibleChatClient : IChatClient
{
    private readonly Sdk.ChatClient _client;
    private readonly ApiKeyCredential _credential;
    private readonly OpenAIClientOptions _options;
    private readonly ConcurrentDictionary<string, Sdk.ChatClient> _otherModels = new(StringComparer.Ordinal);
    private readonly ChatClientMetadata _metadata;

    /// <summary>Creates the client for one endpoint.</summary>
    /// <param name="endpoint">The API base, e.g. <c>http://127.0.0.1:11434/v1</c>; <c>chat/completions</c> is appended.</param>
    /// <param name="model">The model name the endpoint knows, sent unless a request's <see cref="ChatOptions.ModelId"/> names another.</param>
    /// <param name="apiKey">The bearer token, or null to send no Authorization header (typical for local servers).</param>
    /// <param name="timeout">The network time-out per request; null means 100 seconds.</param>
    public OpenAiCompatibleChatClient(Uri endpoint, string model, string? apiKey = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        if (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException("The endpoint must be an absolute http or https URL.", nameof(endpoint));
        }

        _options = new OpenAIClientOptions
        {
            Endpoint = endpoint,
            NetworkTimeout = timeout ?? TimeSpan.FromSeconds(100),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        };
        if (string.IsNullOrEmpty(apiKey))
        {
            // The SDK insists on a credential; local servers need none, so the placeholder's header is removed before sending.
            _options.AddPolicy(new NoAuthorizationHeaderPolicy(), PipelinePosition.BeforeTransport);
        }

        _credential = new ApiKeyCredential(string.IsNullOrEmpty(apiKey) ? "none" : apiKey);
        _client = new Sdk.ChatClient(model, _credential, _options);
        Endpoint = endpoint;
        Model = model;
        _metadata = new ChatClientMetadata("openai-compatible", endpoint, model);
    }

    /// <summary>The API base this client sends to.</summary>
    public Uri Endpoint { get; }

    /// <summary>The default model name.</summary>
    public string Model { get; }

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var request = OpenAiRequestMapper.ToMessages(messages);
        var sdkOptions = OpenAiRequestMapper.ToOptions(options);
        try
        {
            var completion = (await ClientFor(options).CompleteChatAsync(request, sdkOptions, cancellationToken).ConfigureAwait(false)).Value;
            return OpenAiResponseMapper.ToResponse(completion);
        }
        catch (Exception e) when (RemoteErrors.Map(e, cancellationToken) is { } mapped && !ReferenceEquals(mapped, e))
        {
            throw mapped;
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var request = OpenAiRequestMapper.ToMessages(messages);
        var sdkOptions = OpenAiRequestMapper.ToOptions(options);
        var stream = new OpenAiStreamState();
        var updates = ClientFor(options).CompleteChatStreamingAsync(request, sdkOptions, cancellationToken).GetAsyncEnumerator(cancellationToken);
        await using (updates.ConfigureAwait(false))
        {
            while (true)
            {
                Sdk.StreamingChatCompletionUpdate update;
                try
                {
                    if (!await updates.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }

                    update = updates.Current;
                }
                catch (Exception e) when (RemoteErrors.Map(e, cancellationToken) is { } mapped && !ReferenceEquals(mapped, e))
                {
                    throw mapped;
                }

                foreach (var converted in stream.Convert(update))
                {
                    yield return converted;
                }
            }
        }

        if (!stream.Finished)
        {
            // A dropped connection can look like a clean end of the stream; every OpenAI-compatible server sends a finish reason.
            throw new ModelException(ModelErrorCodes.InvalidResponse, "The remote backend's stream ended before the response was finished.");
        }

        if (stream.Finish() is { } last)
        {
            yield return last;
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(ChatClientMetadata) ? _metadata
            : serviceType == typeof(Sdk.ChatClient) ? _client
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private Sdk.ChatClient ClientFor(ChatOptions? options) =>
        options?.ModelId is { Length: > 0 } model && !string.Equals(model, Model, StringComparison.Ordinal)
            ? _otherModels.GetOrAdd(model, m => new Sdk.ChatClient(m, _credential, _options))
            : _client;

    /// <summary>Removes the Authorization header: local OpenAI-compatible servers need no credentials.</summary>
    private sealed class NoAuthorizationHeaderPolicy : PipelinePolicy
    {
        public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Remove("Authorization");
            ProcessNext(message, pipeline, currentIndex);
        }

        public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Remove("Authorization");
            return ProcessNextAsync(message, pipeline, currentIndex);
        }
    }
}

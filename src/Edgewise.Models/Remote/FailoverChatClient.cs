using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Edgewise.Models.Remote;

/// <summary>
/// An <see cref="IChatClient"/> over an ordered list of OpenAI-compatible backends. Each request goes to the first backend
/// whose cached health check passes; a connection failure, time-out or 5xx marks it unhealthy and the next one is tried.
/// A 4xx or a malformed answer is the caller's or the server's fault, not an outage, and is thrown as is. Streaming falls
/// over only until the first update has been yielded; after that an error ends the stream. When no backend answers, the
/// request fails with <see cref="ModelErrorCodes.BackendUnavailable"/>. Each backend is asked for its own configured
/// model: a request's <see cref="ChatOptions.ModelId"/> (often a local alias) is not forwarded.
/// </summary>
public sealed class FailoverChatClient : IChatClient
{
    private readonly Entry[] _entries;
    private readonly HttpClient _http;
    private readonly ChatClientMetadata _metadata;

    /// <summary>Creates the client over <paramref name="backends"/>, in order of preference.</summary>
    /// <param name="backends">At least one backend; each is validated and its API key read from its environment variable.</param>
    /// <param name="options">Health-check settings; null means the defaults.</param>
    /// <param name="timeProvider">The clock of the health cache; null means the system clock.</param>
    public FailoverChatClient(IEnumerable<RemoteBackendOptions> backends, FailoverOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(backends);
        var settings = options ?? new FailoverOptions();
        var time = timeProvider ?? TimeProvider.System;
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = Timeout.InfiniteTimeSpan };
        var entries = new List<Entry>();
        foreach (var backend in backends)
        {
            ArgumentNullException.ThrowIfNull(backend);
            backend.Validate();
            var key = backend.ResolveApiKey();
            entries.Add(new Entry(
                new OpenAiCompatibleChatClient(backend.Endpoint, backend.Model, key, backend.Timeout),
                new BackendHealth(backend, key, _http, settings, time)));
        }

        if (entries.Count == 0)
        {
            _http.Dispose();
            throw new ArgumentException("A failover list needs at least one backend.", nameof(backends));
        }

        _entries = [.. entries];
        _metadata = new ChatClientMetadata("edgewise-failover", _entries[0].Health.Options.Endpoint, _entries[0].Health.Options.Model);
    }

    /// <summary>The backends in order of preference.</summary>
    public IReadOnlyList<RemoteBackendOptions> Backends => [.. _entries.Select(e => e.Health.Options)];

    /// <summary>Checks every backend now (ignoring the cache) and returns their health, in order.</summary>
    public async Task<IReadOnlyList<BackendStatus>> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        var checks = _entries.Select(e => e.Health.IsHealthyAsync(force: true, cancellationToken)).ToArray();
        await Task.WhenAll(checks).ConfigureAwait(false);
        return [.. _entries.Select(e => e.Health.Status!)];
    }

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages as IList<ChatMessage> ?? [.. messages];
        var forwarded = WithoutModelId(options);
        ModelException? last = null;
        foreach (var entry in _entries)
        {
            if (!await entry.Health.IsHealthyAsync(force: false, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            try
            {
                var response = await entry.Client.GetResponseAsync(list, forwarded, cancellationToken).ConfigureAwait(false);
                entry.Health.Record(healthy: true);
                return response;
            }
            catch (ModelException e) when (RemoteErrors.IsTransient(e))
            {
                entry.Health.Record(healthy: false);
                last = e;
            }
        }

        throw AllFailed(last);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages as IList<ChatMessage> ?? [.. messages];
        var forwarded = WithoutModelId(options);
        ModelException? last = null;
        foreach (var entry in _entries)
        {
            if (!await entry.Health.IsHealthyAsync(force: false, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            var updates = entry.Client.GetStreamingResponseAsync(list, forwarded, cancellationToken).GetAsyncEnumerator(cancellationToken);
            bool any;
            try
            {
                any = await updates.MoveNextAsync().ConfigureAwait(false);
            }
            catch (ModelException e) when (RemoteErrors.IsTransient(e))
            {
                await updates.DisposeAsync().ConfigureAwait(false);
                entry.Health.Record(healthy: false);
                last = e;
                continue;
            }
            catch
            {
                await updates.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            // From here on nothing is retried elsewhere: the caller may already have shown the first tokens.
            await using (updates.ConfigureAwait(false))
            {
                entry.Health.Record(healthy: true);
                if (any)
                {
                    yield return updates.Current;
                    while (await updates.MoveNextAsync().ConfigureAwait(false))
                    {
                        yield return updates.Current;
                    }
                }
            }

            yield break;
        }

        throw AllFailed(last);
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(ChatClientMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var entry in _entries)
        {
            entry.Client.Dispose();
        }

        _http.Dispose();
    }

    private static ChatOptions? WithoutModelId(ChatOptions? options)
    {
        if (options?.ModelId is null)
        {
            return options;
        }

        var copy = options.Clone();
        copy.ModelId = null;
        return copy;
    }

    private static ModelException AllFailed(ModelException? last)
    {
        const string Message = "No remote backend in the failover list answered; check that they are running ('edgewise doctor' lists local servers) and their endpoints in configuration.";
        return last is null
            ? new ModelException(ModelErrorCodes.BackendUnavailable, Message)
            : new ModelException(ModelErrorCodes.BackendUnavailable, Message, last);
    }

    private sealed record Entry(OpenAiCompatibleChatClient Client, BackendHealth Health);
}

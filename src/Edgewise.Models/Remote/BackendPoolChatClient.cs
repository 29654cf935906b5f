using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Edgewise.Models.Remote;

/// <summary>
/// An <see cref="IChatClient"/> over a pool of OpenAI-compatible backends: the backends of one model entry share the
/// requests, and the backends of its failover entries stand behind them.
/// <list type="bullet">
/// <item>Each request goes to the healthy backend of the lowest <see cref="RemoteBackendOptions.Priority"/> that has the
/// fewest outstanding requests per unit of <see cref="RemoteBackendOptions.Weight"/>; ties, such as requests that
/// arrive one at a time, are spread by weighted round robin.
/// With one backend per priority this is an ordered failover list.</item>
/// <item>Health is cached per backend: <c>GET {endpoint}/models</c> with a short time-out, re-checked when the cache
/// expires. A connection failure, time-out or 5xx takes the backend out of the pool at once, and the request is tried on
/// the next one; the backend comes back when a later check finds it answering.</item>
/// <item>A 4xx or a malformed answer is the caller's or the server's fault, not an outage, and is thrown as is.</item>
/// <item>Streaming falls over only until the first update has been yielded; after that a failure ends the stream with a
/// <see cref="ModelException"/> that names the backend, and the backend leaves the pool.</item>
/// </list>
/// When no backend answers, the request fails with <see cref="ModelErrorCodes.BackendUnavailable"/>. Each backend is
/// asked for its own configured model: a request's <see cref="ChatOptions.ModelId"/> (often a local alias) is not forwarded.
/// </summary>
public sealed class BackendPoolChatClient : IChatClient
{
    private readonly Member[] _members;
    private readonly HttpClient _http;
    private readonly ChatClientMetadata _metadata;

    /// <summary>Creates the client over <paramref name="backends"/>.</summary>
    /// <param name="backends">At least one backend; each is validated and its API key read from its environment variable.</param>
    /// <param name="options">Health-check settings; null means the defaults.</param>
    /// <param name="timeProvider">The clock of the health cache; null means the system clock.</param>
    public BackendPoolChatClient(IEnumerable<RemoteBackendOptions> backends, BackendPoolOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(backends);
        var settings = options ?? new BackendPoolOptions();
        var time = timeProvider ?? TimeProvider.System;
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = Timeout.InfiniteTimeSpan };
        var members = new List<Member>();
        try
        {
            foreach (var backend in backends)
            {
                ArgumentNullException.ThrowIfNull(backend);
                backend.Validate();
                var key = backend.ResolveApiKey();
                members.Add(new Member(
                    new OpenAiCompatibleChatClient(backend.Endpoint, backend.Model, key, backend.Timeout),
                    new BackendHealth(backend, key, _http, settings, time),
                    members.Count));
            }
        }
        catch
        {
            Release(members);
            throw;
        }

        if (members.Count == 0)
        {
            _http.Dispose();
            throw new ArgumentException("A backend pool needs at least one backend.", nameof(backends));
        }

        _members = [.. members];
        var first = _members[0].Health.Options;
        _metadata = new ChatClientMetadata(_members.Length == 1 ? "edgewise-remote" : "edgewise-pool", first.Endpoint, first.Model);
    }

    /// <summary>The backends as configured.</summary>
    public IReadOnlyList<RemoteBackendOptions> Backends => [.. _members.Select(m => m.Health.Options)];

    /// <summary>Each backend's priority, weight, last known health, outstanding requests and counters, as configured in order.</summary>
    public IReadOnlyList<BackendSnapshot> Snapshot() =>
        [.. _members.Select(m => new BackendSnapshot(
            m.Health.Options.Name,
            m.Health.Options.Endpoint,
            m.Health.Options.Priority,
            m.Health.Options.Weight,
            m.Health.LastKnown,
            Volatile.Read(ref m.Outstanding),
            Interlocked.Read(ref m.Requests),
            Interlocked.Read(ref m.Failures)))];

    /// <summary>Checks every backend now (ignoring the cache) and returns their health, in order.</summary>
    public async Task<IReadOnlyList<BackendStatus>> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        var checks = _members.Select(m => m.Health.IsHealthyAsync(force: true, cancellationToken)).ToArray();
        await Task.WhenAll(checks).ConfigureAwait(false);
        return [.. _members.Select(m => m.Health.Status!)];
    }

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages as IList<ChatMessage> ?? [.. messages];
        var forwarded = WithoutModelId(options);
        var tried = new bool[_members.Length];
        ModelException? last = null;
        while (await NextAsync(tried, cancellationToken).ConfigureAwait(false) is { } member)
        {
            try
            {
                var response = await member.Client.GetResponseAsync(list, forwarded, cancellationToken).ConfigureAwait(false);
                member.Health.Record(healthy: true);
                return response;
            }
            catch (ModelException e) when (RemoteErrors.IsTransient(e))
            {
                member.Fail();
                last = e;
            }
            finally
            {
                Interlocked.Decrement(ref member.Outstanding);
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
        var tried = new bool[_members.Length];
        ModelException? last = null;
        while (await NextAsync(tried, cancellationToken).ConfigureAwait(false) is { } member)
        {
            try
            {
                var updates = member.Client.GetStreamingResponseAsync(list, forwarded, cancellationToken).GetAsyncEnumerator(cancellationToken);
                bool any;
                try
                {
                    any = await updates.MoveNextAsync().ConfigureAwait(false);
                }
                catch (ModelException e) when (RemoteErrors.IsTransient(e))
                {
                    await updates.DisposeAsync().ConfigureAwait(false);
                    member.Fail();
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
                    member.Health.Record(healthy: true);
                    if (!any)
                    {
                        yield break;
                    }

                    yield return updates.Current;
                    while (await MoveNextMidStreamAsync(updates, member, cancellationToken).ConfigureAwait(false))
                    {
                        yield return updates.Current;
                    }
                }

                yield break;
            }
            finally
            {
                Interlocked.Decrement(ref member.Outstanding);
            }
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
        Release(_members);
        _http.Dispose();
    }

    /// <summary>
    /// The backend for the next attempt, with its outstanding count already raised (the caller lowers it), or null when
    /// every backend was tried or is down. Candidates are visited by priority, then by outstanding requests per weight,
    /// then in configured order; a backend whose cached health expired is checked on the way.
    /// </summary>
    private async ValueTask<Member?> NextAsync(bool[] tried, CancellationToken cancellationToken)
    {
        while (Choose(tried) is { } best)
        {
            tried[best.Index] = true;
            if (await best.Health.IsHealthyAsync(force: false, cancellationToken).ConfigureAwait(false))
            {
                Interlocked.Increment(ref best.Outstanding);
                Interlocked.Increment(ref best.Requests);
                return best;
            }
        }

        return null;
    }

    /// <summary>
    /// The untried backend of the lowest priority with the fewest outstanding requests per weight. Ties are broken by
    /// smooth weighted round robin over the tied backends (each gains its weight in credit, the chosen one pays the sum),
    /// so requests that arrive one at a time still spread in proportion to the weights.
    /// </summary>
    private Member? Choose(bool[] tried)
    {
        lock (_members)
        {
            Member? best = null;
            foreach (var member in _members)
            {
                if (!tried[member.Index] && (best is null || member.Compare(best) < 0))
                {
                    best = member;
                }
            }

            if (best is null)
            {
                return null;
            }

            long total = 0;
            foreach (var member in _members)
            {
                if (!tried[member.Index] && member.Compare(best) == 0)
                {
                    member.Credit += member.Health.Options.Weight;
                    total += member.Health.Options.Weight;
                }
            }

            foreach (var member in _members)
            {
                if (!tried[member.Index] && member.Compare(best) == 0 && member.Credit > best.Credit)
                {
                    best = member;
                }
            }

            best.Credit -= total;
            return best;
        }
    }

    private static async ValueTask<bool> MoveNextMidStreamAsync(IAsyncEnumerator<ChatResponseUpdate> updates, Member member, CancellationToken cancellationToken)
    {
        try
        {
            return await updates.MoveNextAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is ModelException or HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
        {
            member.Fail();
            var code = e is ModelException model ? model.Code : ModelErrorCodes.Offline;
            throw new ModelException(code, "The remote backend '" + member.Health.Options.Name + "' failed in the middle of the answer; the part already sent is all there is.", e);
        }
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
        const string Message = "No remote backend of this model answered; check that they are running ('edgewise doctor' lists local servers) and their endpoints in configuration.";
        return last is null
            ? new ModelException(ModelErrorCodes.BackendUnavailable, Message)
            : new ModelException(ModelErrorCodes.BackendUnavailable, Message, last);
    }

    private static void Release(IEnumerable<Member> members)
    {
        foreach (var member in members)
        {
            member.Client.Dispose();
        }
    }

    private sealed class Member(OpenAiCompatibleChatClient client, BackendHealth health, int index)
    {
        public int Outstanding;
        public long Requests;
        public long Failures;

        public OpenAiCompatibleChatClient Client { get; } = client;

        public BackendHealth Health { get; } = health;

        public int Index { get; } = index;

        /// <summary>Round-robin credit among tied backends; guarded by the pool's lock.</summary>
        public long Credit { get; set; }

        /// <summary>Negative when this backend should be chosen before <paramref name="other"/>: lower priority, then fewer outstanding requests per weight (compared by cross-multiplying); zero for a tie.</summary>
        public int Compare(Member other)
        {
            var (mine, theirs) = (Health.Options, other.Health.Options);
            if (mine.Priority != theirs.Priority)
            {
                return mine.Priority.CompareTo(theirs.Priority);
            }

            var load = (long)Volatile.Read(ref Outstanding) * theirs.Weight;
            var otherLoad = (long)Volatile.Read(ref other.Outstanding) * mine.Weight;
            return load.CompareTo(otherLoad);
        }

        public void Fail()
        {
            Interlocked.Increment(ref Failures);
            Health.Record(healthy: false);
        }
    }
}

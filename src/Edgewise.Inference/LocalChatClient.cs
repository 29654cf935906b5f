using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Edgewise.Gguf;
using Edgewise.Inference.Constraints;
using Edgewise.Inference.Generation;
using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime;
using Edgewise.Inference.Sampling;
using Edgewise.Tokenization;
using Microsoft.Extensions.AI;

namespace Edgewise.Inference;

/// <summary>
/// <see cref="IChatClient"/> over the embedded engine: renders the chat template (or takes a raw prompt, see
/// <see cref="RawPromptKey"/>), tokenizes, evaluates the prompt
/// in one batch and decodes token by token with a sampler chain built from <see cref="ChatOptions"/> (temperature,
/// top-p, top-k, seed, frequency/presence penalties, max output tokens, stop sequences). Streaming and
/// non-streaming calls produce the same text. Constrained decoding (see <see cref="ChatConstraints"/>):
/// <see cref="ChatOptions.ResponseFormat"/> JSON object or JSON schema, tool mode required/named/auto with the model
/// family's tool-call format, or choices; parsed tool calls are returned as <see cref="FunctionCallContent"/> with
/// arguments already valid for the tool's schema, and a schema feature that cannot be enforced is refused with
/// <see cref="UnsupportedSchemaFeatureException"/> before anything is generated. Requests run through continuous
/// batching: up to <see cref="LocalChatClientOptions.MaxConcurrentRequests"/> sequences of one shared context are
/// decoded together, one forward pass per step for all of them (the weights are read once per step), joining and
/// leaving between steps; more requests wait their turn. A request's sequence is freed when it ends or is cancelled
/// (cancellation is observed between decode steps). Prompts reuse the KV entries of earlier prompts with the same
/// prefix (see <see cref="LocalChatClientOptions.PrefixCacheBytes"/> and <see cref="WarmPrefixAsync"/>).
/// </summary>
public sealed class LocalChatClient : IChatClient
{
    /// <summary>The <c>AdditionalProperties</c> key that asks for logprobs (options) and carries them (responses and updates).</summary>
    public const string LogprobsKey = "logprobs";

    /// <summary>The <c>ChatOptions.AdditionalProperties</c> key for the number of alternatives per token (0 … 20).</summary>
    public const string TopLogprobsKey = "top_logprobs";

    /// <summary>
    /// The <c>ChatOptions.AdditionalProperties</c> key that asks for a raw prompt (value <c>true</c>): the request's
    /// single user message is tokenized as is (special-token text recognised, BOS added when the model's vocabulary
    /// adds it), with no chat template, as a text-completion API does. Other message shapes are refused with
    /// <see cref="ArgumentException"/>.
    /// </summary>
    public const string RawPromptKey = "edgewise.raw_prompt";

    /// <summary>
    /// The meter of each client's gauges (exported at the server's <c>/metrics</c>), tag <c>model</c>:
    /// <c>edgewise_prefix_cache_blocks</c>, <c>edgewise_prefix_cache_bytes</c> and
    /// <c>edgewise_prefix_cache_capacity_bytes</c>, so the memory the prefix cache holds (it fills up to its
    /// capacity as distinct prompts arrive, then stays there) can be told apart from growth elsewhere.
    /// </summary>
    public const string MeterName = "Edgewise.Inference";

    private readonly LocalModel _model;
    private readonly Context _context;
    private readonly Tokenizer _tokenizer;
    private readonly ChatPrompt _prompt;
    private readonly BatchScheduler _scheduler;
    private readonly PrefixCache? _prefixes;
    private readonly TokenCandidates _candidates;
    private readonly int? _defaultMaxOutputTokens;
    private readonly ChatClientMetadata _metadata;
    private readonly ToolCallFormat _toolFormat;
    private readonly Meter _meter = new(MeterName);

    /// <summary>Creates a client over <paramref name="model"/>; the model must outlive the client.</summary>
    /// <exception cref="Gguf.InvalidModelFileException">The model's tokenizer metadata is invalid.</exception>
    public LocalChatClient(LocalModel model, LocalChatClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new LocalChatClientOptions();
        _model = model;
        _tokenizer = model.Tokenizer;
        _prompt = new ChatPrompt(_tokenizer, model.Metadata, model.Architecture);
        var sequences = options.MaxConcurrentRequests ?? 1;
        var contextOptions = options.Context ?? new ContextOptions();
        _context = model.CreateContext(new ContextOptions
        {
            ContextLength = contextOptions.ContextLength,
            BatchSize = contextOptions.BatchSize,
            KvCacheType = contextOptions.KvCacheType,
            Threads = contextOptions.Threads,
            SequenceCount = sequences,
        });
        var prefixBytes = options.PrefixCacheBytes ?? LocalChatClientOptions.DefaultPrefixCacheBytes;
        _prefixes = prefixBytes > 0 ? new PrefixCache(_context.Cache, prefixBytes) : null;
        _scheduler = new BatchScheduler(_context, _prefixes);

        // Every request's sampler works in these (on the scheduler's thread, one sequence at a time): three arrays the
        // size of the vocabulary, which a request would otherwise allocate on the large-object heap.
        _candidates = new TokenCandidates(_context.VocabSize);
        _defaultMaxOutputTokens = options.DefaultMaxOutputTokens;
        ModelId = options.ModelId ?? model.Name ?? model.Hyperparameters.ArchitectureName;
        _metadata = new ChatClientMetadata("edgewise", null, ModelId);
        _toolFormat = model.Architecture.DetectToolCallFormat(model.Metadata.GetString(GgufKeys.Tokenizer.ChatTemplate));
        if (_prefixes is { } prefixes)
        {
            KeyValuePair<string, object?>[] tags = [new("model", ModelId)];
            _meter.CreateObservableGauge("edgewise_prefix_cache_blocks", () => new Measurement<long>(prefixes.Count, tags), "{block}", "Blocks of KV entries held by the prefix cache.");
            _meter.CreateObservableGauge("edgewise_prefix_cache_bytes", () => new Measurement<long>(prefixes.Bytes, tags), "By", "Bytes of KV entries held by the prefix cache.");
            _meter.CreateObservableGauge("edgewise_prefix_cache_capacity_bytes", () => new Measurement<long>(prefixes.CapacityBytes, tags), "By", "The prefix cache's byte budget.");
        }
    }

    /// <summary>How this model writes tool calls (from its chat template, else its architecture).</summary>
    public ToolCallFormat ToolCallFormat => _toolFormat;

    /// <summary>The model id reported in responses.</summary>
    public string ModelId { get; }

    /// <summary>The tokenizer of the model.</summary>
    public Tokenizer Tokenizer => _tokenizer;

    /// <summary>The prompt tokens <paramref name="messages"/> render to (template + tokenizer), as a request would use them.</summary>
    public int[] TokenizePrompt(IEnumerable<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return _prompt.Tokenize(messages);
    }

    /// <summary>
    /// The prompt tokens <paramref name="messages"/> become under <paramref name="options"/>, as a request would use
    /// them: the raw text when <see cref="RawPromptKey"/> is set, else the rendered chat template with the options' tools.
    /// </summary>
    /// <exception cref="ArgumentException">Raw mode was asked for and the messages are not one user message.</exception>
    public int[] TokenizePrompt(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return IsRawPrompt(options) ? TokenizeRaw(messages) : _prompt.Tokenize(messages, ChatConstraints.ToolDefinitions(options));
    }

    /// <inheritdoc/>
    /// <remarks>
    /// With <c>options.AdditionalProperties["logprobs"] = true</c> (and optionally <c>["top_logprobs"]</c>, 0 … 20)
    /// the response's <c>AdditionalProperties["logprobs"]</c> holds every generated token's
    /// <see cref="TokenLogprob"/>, in order.
    /// </remarks>
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var updates = new List<ChatResponseUpdate>();
        List<TokenLogprob>? logprobs = null;
        await foreach (var update in GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            updates.Add(update);
            if (update.AdditionalProperties?.TryGetValue(LogprobsKey, out var value) == true && value is IReadOnlyList<TokenLogprob> list)
            {
                (logprobs ??= []).AddRange(list);
            }
        }

        var response = updates.ToChatResponse();
        if (logprobs is not null)
        {
            response.AdditionalProperties ??= [];
            response.AdditionalProperties[LogprobsKey] = logprobs;
        }

        return response;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// With <c>options.AdditionalProperties["logprobs"] = true</c> (and optionally <c>["top_logprobs"]</c>, 0 … 20)
    /// every update's <c>AdditionalProperties["logprobs"]</c> holds the <see cref="TokenLogprob"/> of the tokens
    /// generated since the previous update (an <see cref="IReadOnlyList{T}"/>; an end-of-generation token is not listed).
    /// </remarks>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var constraint = ChatConstraints.FromOptions(options, _toolFormat);
        var prompt = TokenizePrompt(messages, options);
        var logprobCalculator = LogprobCalculator.FromOptions(options, _tokenizer);
        var constraintSampler = constraint?.CreateSampler(_tokenizer);
        var sampler = SamplerChain.Create(ToSampling(options), _context.VocabSize, constraintSampler);
        var toolText = constraint is ToolCallConstraint toolConstraint ? new ToolCallText(toolConstraint) : null;
        var maxTokens = options?.MaxOutputTokens ?? _defaultMaxOutputTokens ?? int.MaxValue;
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens, nameof(options));
        if (prompt.Length >= _context.ContextLength)
        {
            throw new ContextLimitExceededException(0, prompt.Length + 1, _context.ContextLength);
        }


        var responseId = Guid.NewGuid().ToString("N");
        var created = DateTimeOffset.UtcNow;
        var stops = new StopSequenceMatcher(options?.StopSequences);
        var detokenizer = new StreamingDetokenizer(_tokenizer);
        var finish = ChatFinishReason.Length;
        var generated = 0;
        var pending = logprobCalculator is null ? null : new List<TokenLogprob>();
        var sequence = maxTokens > 0 ? new ChatSequence(prompt, sampler, _candidates, logprobCalculator, _tokenizer, maxTokens) : null;
        try
        {
            if (sequence is not null)
            {
                _scheduler.Enqueue(sequence);
                await foreach (var (token, logprob) in sequence.Tokens.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    generated++;
                    if (_tokenizer.IsEndOfGeneration(token))
                    {
                        finish = ChatFinishReason.Stop;
                        break;
                    }

                    if (logprob is not null)
                    {
                        pending!.Add(logprob);
                    }

                    var text = stops.Push(detokenizer.Append(token));
                    if (toolText is not null)
                    {
                        text = toolText.Push(text);
                    }

                    if (text.Length > 0)
                    {
                        yield return Update(text, responseId, created, ref pending);
                    }

                    if (stops.Stopped)
                    {
                        finish = ChatFinishReason.Stop;
                        break;
                    }
                }
            }
        }
        finally
        {
            sequence?.Cancel();
        }

        var tail = stops.Push(detokenizer.Flush());
        tail += stops.Flush();
        if (stops.Stopped)
        {
            finish = ChatFinishReason.Stop;
        }

        IReadOnlyList<FunctionCallContent> calls = [];
        if (toolText is not null)
        {
            tail = toolText.Push(tail);
            var (rest, parsed) = toolText.Finish(constraintSampler!.IsComplete && !constraintSampler.IsFailed);
            tail += rest;
            calls = parsed;
        }

        var final = Update(tail, responseId, created, ref pending);
        final.FinishReason = calls.Count > 0 ? ChatFinishReason.ToolCalls : finish;
        foreach (var call in calls)
        {
            final.Contents.Add(call);
        }

        final.Contents.Add(new UsageContent(new UsageDetails
        {
            InputTokenCount = prompt.Length,
            OutputTokenCount = generated,
            TotalTokenCount = prompt.Length + generated,
        }));
        yield return final;
    }

    /// <summary>
    /// Renders <paramref name="messages"/> (typically an agent's system prompt; with the tool definitions of
    /// <paramref name="options"/>, as a request with those options would) without the assistant header, evaluates
    /// the tokens and keeps their KV entries in the prefix cache, so later requests whose prompts start the same way
    /// skip that part of prompt processing. Returns how many of the prefix tokens are now cached (whole cache blocks;
    /// 0 when the prefix cache is off or too small).
    /// </summary>
    /// <exception cref="ContextLimitExceededException">The prefix does not fit in the context.</exception>
    public async Task<int> WarmPrefixAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var tokens = _prompt.Tokenize(messages, ChatConstraints.ToolDefinitions(options), addGenerationPrompt: false);
        if (_prefixes is null || tokens.Length == 0)
        {
            return 0;
        }

        var sequence = new PrefillSequence(tokens);
        _scheduler.Enqueue(sequence);
        using (cancellationToken.Register(sequence.Cancel))
        {
            await sequence.Completion.ConfigureAwait(false);
        }

        return tokens.Length / PrefixCache.BlockTokens * PrefixCache.BlockTokens;
    }

    /// <summary>Prompt tokens run through the model so far (tokens restored from the prefix cache are not counted).</summary>
    internal long EvaluatedPromptTokens => _scheduler.EvaluatedPromptTokens;

    /// <summary>The prefix cache, when enabled.</summary>
    internal PrefixCache? PrefixCache => _prefixes;

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(ChatClientMetadata))
        {
            return _metadata;
        }

        if (serviceType == typeof(LocalModel))
        {
            return _model;
        }

        if (serviceType == typeof(Context))
        {
            return _context;
        }

        if (serviceType == typeof(ChatCapabilities))
        {
            return ChatCapabilities.RawPrompt | ChatCapabilities.Logprobs;
        }

        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _meter.Dispose();
        _scheduler.Dispose();
        _context.Dispose();
    }

    private static SamplingOptions ToSampling(ChatOptions? options) => new()
    {
        Temperature = options?.Temperature,
        TopP = options?.TopP,
        TopK = options?.TopK,
        Seed = options?.Seed,
        FrequencyPenalty = options?.FrequencyPenalty,
        PresencePenalty = options?.PresencePenalty,
    };

    private static bool IsRawPrompt(ChatOptions? options) =>
        options?.AdditionalProperties?.TryGetValue(RawPromptKey, out var value) == true && value is true;

    private int[] TokenizeRaw(IEnumerable<ChatMessage> messages)
    {
        ChatMessage? single = null;
        foreach (var message in messages)
        {
            if (single is not null || message.Role != ChatRole.User)
            {
                throw new ArgumentException("A raw prompt is exactly one user message.", nameof(messages));
            }

            single = message;
        }

        if (single is null)
        {
            throw new ArgumentException("A raw prompt is exactly one user message.", nameof(messages));
        }

        return _tokenizer.Encode(single.Text, addSpecial: true, parseSpecial: true);
    }

    private ChatResponseUpdate Update(string text, string responseId, DateTimeOffset created, ref List<TokenLogprob>? logprobs)
    {
        var update = new ChatResponseUpdate(ChatRole.Assistant, text)
        {
            ResponseId = responseId,
            MessageId = responseId,
            ModelId = ModelId,
            CreatedAt = created,
        };
        if (logprobs is not null)
        {
            update.AdditionalProperties = new() { [LogprobsKey] = logprobs };
            logprobs = [];
        }

        return update;
    }
}

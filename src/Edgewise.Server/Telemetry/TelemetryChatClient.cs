using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Telemetry;

/// <summary>
/// Decorates a loaded model's chat client: a child span per model call with the gen_ai attributes (model, sampling
/// settings, response id, finish reasons, token usage; never messages or output), token counts and the time of the
/// first generated text reported into the request's <see cref="RequestScope"/>, and calls and failures counted.
/// </summary>
internal sealed class TelemetryChatClient(IChatClient inner, string model, ModelCallRecorder recorder) : DelegatingChatClient(inner)
{
    private readonly string _provider = inner.GetService(typeof(ChatClientMetadata)) is ChatClientMetadata { ProviderName: { Length: > 0 } name } ? name : GenAiAttributes.DefaultProvider;

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var scope = RequestScope.Current;
        using var activity = Start(options);
        var started = Stopwatch.GetTimestamp();
        recorder.RecordCall(model);
        try
        {
            var response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            scope?.FirstToken(Stopwatch.GetTimestamp());
            scope?.AddCall(model, response.Usage?.InputTokenCount ?? 0, response.Usage?.OutputTokenCount ?? 0, seconds);
            Finish(activity, response.ResponseId, response.ModelId, response.FinishReason, response.Usage);
            return response;
        }
        catch (Exception e)
        {
            Fail(activity, e, cancellationToken);
            throw;
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var scope = RequestScope.Current;
        var parent = Activity.Current;
        using var activity = Start(options);

        // The span is a child of the request span, but the caller's flow keeps the request span as current.
        Activity.Current = parent;
        recorder.RecordCall(model);
        var stream = base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        string? responseId = null;
        string? responseModel = null;
        ChatFinishReason? finish = null;
        UsageDetails? usage = null;
        var firstToken = 0L;
        try
        {
            while (true)
            {
                ChatResponseUpdate update;
                try
                {
                    if (!await stream.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }

                    update = stream.Current;
                }
                catch (Exception e)
                {
                    Fail(activity, e, cancellationToken);
                    throw;
                }

                responseId ??= update.ResponseId;
                responseModel ??= update.ModelId;
                finish = update.FinishReason ?? finish;
                // By index: enumerating the IList would allocate an enumerator per token.
                var contents = update.Contents;
                for (var i = 0; i < contents.Count; i++)
                {
                    var content = contents[i];
                    if (content is UsageContent u)
                    {
                        usage = u.Details;
                    }
                    else if (firstToken == 0 && content is TextContent { Text.Length: > 0 } or FunctionCallContent)
                    {
                        firstToken = Stopwatch.GetTimestamp();
                        scope?.FirstToken(firstToken);
                    }
                }

                yield return update;
            }
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }

        var generation = firstToken == 0 ? 0 : Stopwatch.GetElapsedTime(firstToken).TotalSeconds;
        scope?.AddCall(model, usage?.InputTokenCount ?? 0, usage?.OutputTokenCount ?? 0, generation);
        Finish(activity, responseId, responseModel, finish, usage);
    }

    private Activity? Start(ChatOptions? options)
    {
        var activity = EdgewiseActivitySource.Source.StartActivity("chat " + model, ActivityKind.Internal);
        if (activity is not { IsAllDataRequested: true })
        {
            return activity;
        }

        activity.SetTag(GenAiAttributes.OperationName, "chat");
        activity.SetTag(GenAiAttributes.ProviderName, _provider);
        activity.SetTag(GenAiAttributes.System, _provider);
        activity.SetTag(GenAiAttributes.RequestModel, model);
        if (options is not null)
        {
            activity.SetTag(GenAiAttributes.RequestMaxTokens, options.MaxOutputTokens);
            activity.SetTag(GenAiAttributes.RequestTemperature, options.Temperature is { } t ? (double)t : null);
            activity.SetTag(GenAiAttributes.RequestTopP, options.TopP is { } p ? (double)p : null);
            activity.SetTag(GenAiAttributes.RequestTopK, options.TopK);
            activity.SetTag(GenAiAttributes.RequestSeed, options.Seed);
        }

        return activity;
    }

    private static void Finish(Activity? activity, string? responseId, string? responseModel, ChatFinishReason? finish, UsageDetails? usage)
    {
        if (activity is not { IsAllDataRequested: true })
        {
            return;
        }

        activity.SetTag(GenAiAttributes.ResponseId, responseId);
        activity.SetTag(GenAiAttributes.ResponseModel, responseModel);
        if (finish is { } f)
        {
            activity.SetTag(GenAiAttributes.ResponseFinishReasons, new[] { f.Value });
        }

        activity.SetTag(GenAiAttributes.InputTokens, usage?.InputTokenCount);
        activity.SetTag(GenAiAttributes.OutputTokens, usage?.OutputTokenCount);
    }

    private void Fail(Activity? activity, Exception e, CancellationToken cancellationToken)
    {
        var cancelled = e is OperationCanceledException && cancellationToken.IsCancellationRequested;
        if (!cancelled)
        {
            recorder.RecordCallFailure(model);
        }

        activity?.SetTag(GenAiAttributes.ErrorType, cancelled ? "cancelled" : e.GetType().FullName);
        activity?.SetStatus(ActivityStatusCode.Error);
    }
}

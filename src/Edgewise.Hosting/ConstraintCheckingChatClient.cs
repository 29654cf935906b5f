using System.Runtime.CompilerServices;
using System.Text;
using Edgewise.Inference.Constraints;
using Edgewise.Models;
using Microsoft.Extensions.AI;

namespace Edgewise.Hosting;

/// <summary>
/// The constraint stage of every hosted model: a finished answer whose text must keep a JSON schema, a JSON object or a
/// set of choices (<see cref="ChatConstraints.ForAnswerText"/>) is checked before it is handed on, so a caller never
/// receives output that breaks the format it asked for. The embedded engine already generates only such output (the
/// check then always passes); a remote backend may ignore <c>response_format</c>, and its answer is refused with a
/// <see cref="ModelException"/> of code <see cref="ModelErrorCodes.InvalidOutput"/>.
/// </summary>
/// <remarks>
/// Only answers that finished by themselves are checked: one cut by the token limit is incomplete by design and keeps
/// its <see cref="ChatFinishReason.Length"/>; one that calls tools carries calls, not formatted text. A schema this
/// engine cannot enforce is not checked either (a remote backend may support it; the embedded engine refuses it before
/// generating). When streaming, every update but the one that finishes the answer passes at once; that one is held
/// until the text is checked, so a client sees either a finished, valid answer or an error.
/// </remarks>
public sealed class ConstraintCheckingChatClient(IChatClient inner) : DelegatingChatClient(inner)
{
    /// <inheritdoc/>
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        if (Constraint(options) is { } constraint && response.FinishReason != ChatFinishReason.Length && !CallsTools(response.Messages.SelectMany(m => m.Contents)))
        {
            Check(constraint, response.Text);
        }

        return response;
    }

    /// <inheritdoc/>
    /// <remarks>A request that asks for no format gets the inner stream itself: no extra step per update.</remarks>
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Constraint(options) is { } constraint
            ? CheckedAsync(constraint, messages, options, cancellationToken)
            : base.GetStreamingResponseAsync(messages, options, cancellationToken);

    private async IAsyncEnumerable<ChatResponseUpdate> CheckedAsync(
        Constraint constraint, IEnumerable<ChatMessage> messages, ChatOptions? options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        var held = new List<ChatResponseUpdate>();
        ChatFinishReason? finish = null;
        var callsTools = false;
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            text.Append(update.Text);
            callsTools |= CallsTools(update.Contents);
            if (update.FinishReason is null && held.Count == 0)
            {
                yield return update;
                continue;
            }

            finish ??= update.FinishReason;
            held.Add(update);
        }

        if (finish != ChatFinishReason.Length && !callsTools)
        {
            Check(constraint, text.ToString());
        }

        foreach (var update in held)
        {
            yield return update;
        }
    }

    /// <summary>
    /// The format the answer must keep, or null: none asked for, or one this engine cannot check (an unsupported schema,
    /// invalid choices), which is left to the model that generates, the embedded engine refusing it before it starts.
    /// </summary>
    private static Constraint? Constraint(ChatOptions? options)
    {
        try
        {
            return ChatConstraints.ForAnswerText(options);
        }
        catch (Exception e) when (e is UnsupportedSchemaFeatureException or ArgumentException)
        {
            return null;
        }
    }

    private static bool CallsTools(IEnumerable<AIContent> contents) => contents.Any(static c => c is FunctionCallContent);

    private static void Check(Constraint constraint, string text)
    {
        if (constraint.FindViolation(text) is { } violation)
        {
            throw new ModelException(
                ModelErrorCodes.InvalidOutput,
                $"The model's answer does not keep the requested format: {violation}.",
                new ConstraintViolationException(violation));
        }
    }
}

/// <summary>Adds the <see cref="ConstraintCheckingChatClient"/> stage to a chat-client pipeline.</summary>
public static class ConstraintChatClientBuilderExtensions
{
    /// <summary>Checks every finished answer against the format its request asked for (<see cref="ConstraintCheckingChatClient"/>).</summary>
    public static ChatClientBuilder UseConstraints(this ChatClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use(static inner => new ConstraintCheckingChatClient(inner));
    }
}

using Edgewise.Server.Errors;

namespace Edgewise.Server.Generation;

/// <summary>
/// A wire format's side of a generation: what <see cref="GenerationLoop"/> tells it, in order. The loop owns reading
/// the updates, the keep-alive timing, cancellation and the translation of failures; a sink only writes.
/// </summary>
/// <typeparam name="T">The update type: <see cref="Microsoft.Extensions.AI.ChatResponseUpdate"/> for models, an agent's run update for agents.</typeparam>
internal interface IGenerationSink<in T>
{
    /// <summary>True once the response has begun (headers sent): failures after that are written into it, not returned as a status.</summary>
    bool Started { get; }

    /// <summary>One update from the generation.</summary>
    ValueTask UpdateAsync(T update);

    /// <summary>The keep-alive interval passed without an update (H16); formats without comments ignore it.</summary>
    ValueTask QuietAsync();

    /// <summary>
    /// The response had begun when the generation stopped early: <paramref name="error"/> says why (the drain deadline
    /// when <paramref name="shutdown"/>, S01; otherwise the model failed). The sink ends the response as its format
    /// ends a broken one.
    /// </summary>
    ValueTask FailedAsync(ApiException error, bool shutdown);
}

using Edgewise.Models.Management;
using Microsoft.Extensions.AI;

namespace Edgewise.Hosting;

/// <summary>
/// The decorators every hosted model's chat client runs behind, local and remote alike, composed the
/// Microsoft.Extensions.AI way: each stage adds <see cref="DelegatingChatClient"/>s to a <see cref="ChatClientBuilder"/>
/// over the loaded client (the first stage added is the outermost). A host adds its stages once, when it is composed
/// (the server: <c>UseMetrics</c>, <c>UseTelemetry</c>); the pipeline is then only read. Innermost, always, is
/// <see cref="ConstraintChatClientBuilderExtensions.UseConstraints"/>: every answer is checked against the format its
/// request asked for before any other stage sees it, so a refused answer counts as a failed call everywhere.
/// </summary>
public sealed class ChatClientPipeline
{
    private readonly List<Action<ChatClientBuilder, ModelDescriptor>> _stages = [];

    /// <summary>A pipeline of the constraint stage only.</summary>
    public static ChatClientPipeline Empty { get; } = new();

    /// <summary>The number of stages added to the constraint stage.</summary>
    public int Count => _stages.Count;

    /// <summary>A pipeline of <paramref name="stages"/>, in order.</summary>
    public static ChatClientPipeline Of(IEnumerable<Action<ChatClientBuilder, ModelDescriptor>> stages)
    {
        ArgumentNullException.ThrowIfNull(stages);
        var pipeline = new ChatClientPipeline();
        pipeline._stages.AddRange(stages);
        return pipeline;
    }

    /// <summary>The client for <paramref name="model"/>: <paramref name="loaded"/> behind every stage.</summary>
    public IChatClient Build(IChatClient loaded, ModelDescriptor model)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        ArgumentNullException.ThrowIfNull(model);
        var builder = new ChatClientBuilder(loaded);
        foreach (var stage in _stages)
        {
            stage(builder, model);
        }

        return builder.UseConstraints().Build();
    }
}

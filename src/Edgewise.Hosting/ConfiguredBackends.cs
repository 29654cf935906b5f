using Edgewise.Configuration;
using Edgewise.Models.Remote;

namespace Edgewise.Hosting;

/// <summary>
/// The one mapping from a remote entry of <c>edgewise.yaml</c> to the members of its <see cref="BackendPoolChatClient"/>,
/// used by <c>edgewise serve</c> and by the CLI's agent commands alike.
/// </summary>
public static class ConfiguredBackends
{
    /// <summary>
    /// The backends of <paramref name="model"/> (its <c>url</c>, or each of its <c>backends</c>) at priority 0, then those
    /// of each of its <c>failover</c> entries at priority 1, 2, … in the order listed.
    /// </summary>
    /// <param name="models">The <c>models</c> section <paramref name="model"/> and its failover entries are in.</param>
    /// <param name="model">A remote entry.</param>
    /// <exception cref="ArgumentException"><paramref name="model"/> or one of its failover entries is not remote (the
    /// configuration reader already refuses that with the file and line).</exception>
    public static IReadOnlyList<RemoteBackendOptions> For(ModelsSection models, ModelConfig model)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(model);
        var backends = new List<RemoteBackendOptions>();
        Add(backends, model, priority: 0);
        for (var i = 0; i < model.Failover.Count; i++)
        {
            Add(backends, models.Models[model.Failover[i]], priority: i + 1);
        }

        return backends;
    }

    private static void Add(List<RemoteBackendOptions> backends, ModelConfig model, int priority)
    {
        if (!model.IsRemote)
        {
            throw new ArgumentException("'" + model.Name + "' is a local model, not a remote endpoint.", nameof(model));
        }

        if (model.Url is { } url)
        {
            backends.Add(new RemoteBackendOptions
            {
                Name = model.Name,
                Endpoint = url,
                Model = model.RemoteModel!,
                ApiKeyEnvironmentVariable = model.ApiKeyEnvironmentVariable,
                Priority = priority,
            });
            return;
        }

        foreach (var backend in model.Backends)
        {
            backends.Add(new RemoteBackendOptions
            {
                Name = backend.Name,
                Endpoint = backend.Url,
                Model = backend.Model,
                ApiKeyEnvironmentVariable = backend.ApiKeyEnvironmentVariable,
                Weight = backend.Weight,
                Priority = priority,
            });
        }
    }
}

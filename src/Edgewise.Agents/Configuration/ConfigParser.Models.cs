namespace Edgewise.Agents.Configuration;

/// <summary>The <c>models</c> section: local files, store aliases and their per-model settings.</summary>
internal sealed partial class ConfigParser
{
    private static readonly string[] s_modelKeys = ["path", "alias", "context", "threads", "keep_alive"];

    private static ModelConfig ParseModel(string name, YamlNodeReader node)
    {
        string? path = null, alias = null;
        int? context = null, threads = null;
        TimeSpan? keepAlive = null;
        foreach (var (key, value) in node.Mapping(s_modelKeys))
        {
            switch (key)
            {
                case "path": path = value.String(); break;
                case "alias": alias = value.String(); break;
                case "context": context = value.Int(16, 1 << 20); break;
                case "threads": threads = value.Int(1, 1024); break;
                default: keepAlive = value.Duration(); break;
            }
        }

        if ((path is null) == (alias is null))
        {
            throw node.Error("set exactly one of 'path' (a GGUF file) or 'alias' (a model store name)");
        }

        return new ModelConfig { Name = name, Path = path, Alias = alias, Context = context, Threads = threads, KeepAlive = keepAlive, Line = node.Node.Start.Line };
    }
}

using System.Text.Json.Nodes;
using Edgewise.Testing;
using Edgewise.Tokenization.Templates;

namespace Edgewise.Tokenization.Tests.Templates;

/// <summary>Locates the committed golden files and the shared reference templates; builds fixture contexts.</summary>
internal static class GoldenFiles
{
    public const string Bos = "<BOS>";
    public const string Eos = "<EOS>";

    /// <summary>Conformance tests check output, not speed: a generous time cap keeps them stable on a loaded machine.</summary>
    public static readonly ChatTemplateLimits Limits = new() { MaxDuration = TimeSpan.FromSeconds(30) };

    private static readonly Lazy<string> s_directory = new(Find);

    public static string Directory => s_directory.Value;

    public static string TemplatePath(string stem) => SharedPaths.ReferenceFile("templates", stem + ".jinja");

    public static IEnumerable<string> TemplateStems() => !SharedPaths.Available ? [SharedPaths.Missing] :
        System.IO.Directory.GetFiles(SharedPaths.ReferenceFile("templates"), "*.jinja")
            .Select(Path.GetFileNameWithoutExtension)
            .OfType<string>()
            .Order(StringComparer.Ordinal);

    public static ChatTemplateContext Fixture(string name)
    {
        var root = JsonNode.Parse(File.ReadAllText(Path.Combine(Directory, "fixtures", name + ".json")))!.AsObject();
        var variables = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        if (root["variables"] is JsonObject vars)
        {
            foreach (var (key, value) in vars)
            {
                variables[key] = value?.DeepClone();
            }
        }

        return new ChatTemplateContext
        {
            Messages = root["messages"]!.AsArray(),
            Tools = root["tools"] as JsonArray,
            AddGenerationPrompt = root["add_generation_prompt"]?.GetValue<bool>() ?? false,
            BosToken = Bos,
            EosToken = Eos,
            Variables = variables,
            Limits = Limits,
        };
    }

    private static string Find()
    {
        var relative = Path.Combine("tests", "Edgewise.Tokenization.Tests", "Templates", "golden");
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("The chat template golden folder was not found above the test assembly.");
    }
}

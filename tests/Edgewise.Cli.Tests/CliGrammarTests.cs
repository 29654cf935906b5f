using System.CommandLine;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Edgewise.Cli.Commands;
using Edgewise.Inference;
using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime;
using Edgewise.Models;
using Edgewise.Testing;
using Microsoft.Extensions.AI;

namespace Edgewise.Cli.Tests;

/// <summary>One grammar for every command: short flags, the exit-code table of docs/cli.md, completions, and the chat's commands.</summary>
public sealed partial class CliGrammarTests
{
    // The short flags docs/cli.md reserves, and the long options each may stand for.
    private static readonly Dictionary<string, string[]> s_reserved = new(StringComparer.Ordinal)
    {
        ["-m"] = ["--model"],
        ["-n"] = ["--max-tokens", "--n-predict", "--n-gen"], // tokens to generate (run, generate, bench)
        ["-p"] = ["--prompt", "--n-prompt"], // the prompt (generate), or its length in tokens (bench, as llama-bench)
        ["-c"] = ["--ctx"],
        ["-t"] = ["--threads"],
    };

    [Fact]
    public void ShortFlags_EachMeansOneThingEverywhere()
    {
        var meanings = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (command, option) in Options(Root()))
        {
            foreach (var alias in option.Aliases.Append(option.Name).Where(a => a.Length == 2 && a[0] == '-' && a != "-h" && a != "-?"))
            {
                var longName = option.Aliases.Append(option.Name).Where(a => a.StartsWith("--", StringComparison.Ordinal)).Single();
                if (!meanings.TryGetValue(alias, out var set))
                {
                    meanings[alias] = set = [];
                }

                set.Add(longName);
                Assert.True(!s_reserved.TryGetValue(alias, out var allowed) || allowed.Contains(longName), $"{command}: {alias} stands for {longName}");
            }
        }

        foreach (var (alias, longNames) in meanings.Where(m => !s_reserved.ContainsKey(m.Key)))
        {
            Assert.True(longNames.Count == 1, $"{alias} means {string.Join(", ", longNames)}");
        }
    }

    [Fact]
    public void ExitCodes_DocsTable_MatchesTheCode()
    {
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "cli.md"));
        var rows = ExitRow().Matches(doc).ToDictionary(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), m => m.Groups[2].Value);

        Assert.Equal([0, CliConsole.Failure, CliConsole.UsageError, CliConsole.NotFound, CliConsole.Network, CliConsole.Verification, CliConsole.Resources], rows.Keys.Order());
        var errorCodes = typeof(ModelErrorCodes).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToList();
        foreach (var code in errorCodes.Where(c => ModelStoreCommands.ExitCode(c) != CliConsole.UsageError))
        {
            var row = ModelStoreCommands.ExitCode(code);
            Assert.True(rows[row].Contains($"`{code}`", StringComparison.Ordinal), $"docs/cli.md: exit {row} should list `{code}`");
        }

        foreach (var (exit, text) in rows)
        {
            foreach (Match m in Regex.Matches(text, "`([a-z_]+)`"))
            {
                if (errorCodes.Contains(m.Groups[1].Value))
                {
                    Assert.Equal(exit, ModelStoreCommands.ExitCode(m.Groups[1].Value));
                }
            }
        }
    }

    [Fact]
    public void Completion_Bash_CompletesCommandsAndTheirOptions()
    {
        var (code, script, _) = CliRunner.Run("completion", "bash");
        Assert.Equal(0, code);
        var file = Path.Combine(Path.GetTempPath(), $"edgewise-completion-{Guid.NewGuid():N}.bash");
        File.WriteAllText(file, script);
        try
        {
            var start = new ProcessStartInfo("bash", ["-c", $"source '{file}'; COMP_WORDS=(edgewise be); COMP_CWORD=1; _edgewise; echo \"${{COMPREPLY[*]}}\"; COMP_WORDS=(edgewise bench se); COMP_CWORD=2; _edgewise; echo \"${{COMPREPLY[*]}}\"; COMP_WORDS=(edgewise run --ver); COMP_CWORD=2; _edgewise; echo \"${{COMPREPLY[*]}}\""])
            {
                RedirectStandardOutput = true,
            };
            using var bash = Process.Start(start)!;
            var lines = bash.StandardOutput.ReadToEnd().Split('\n');
            bash.WaitForExit();

            Assert.Equal("bench", lines[0]);
            Assert.Equal("serve", lines[1]);
            Assert.Equal("--verbose", lines[2]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("zsh", "compdef _edgewise edgewise")]
    [InlineData("fish", "complete -c edgewise -n '__fish_seen_subcommand_from run' -l verbose")]
    public void Completion_OtherShells_NameEveryCommand(string shell, string expected)
    {
        var (code, script, _) = CliRunner.Run("completion", shell);

        Assert.Equal(0, code);
        Assert.Contains(expected, script, StringComparison.Ordinal);
        foreach (var command in Root().Subcommands)
        {
            Assert.Contains(command.Name, script, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Run_PromptGiven_AnswersOnceAndExitsWithStats()
    {
        var (code, output, err) = CliRunner.Run("run", SharedPaths.ReferenceFile("models", "ref-phi4-Q8_0.gguf"), "Hello", "there", "-n", "3", "--temp", "0", "--verbose");

        Assert.True(code == 0, err);
        Assert.DoesNotContain(">>>", output, StringComparison.Ordinal);
        Assert.Matches(@"eval count: [0-3] token\(s\), rate: [0-9.]+ tokens/s", err);
    }

    [Fact]
    public async Task RunLoop_SetAndShow_BehaveAsInOllama()
    {
        using var model = LocalModel.Load(SharedPaths.ReferenceFile("models", "ref-phi4-Q8_0.gguf"));
        using var client = new LocalChatClient(model);
        using var output = new StringWriter();
        var options = new ChatOptions { MaxOutputTokens = 2 };
        var input = new StringReader("/set parameter temperature 0\n/set parameter top_k 7\n/set parameter bogus 1\n/set parameter top_p 2\n/set system Be terse.\n/show system\n/show parameters\n/show info\nhi\n/bye\n");

        await ChatCommand.RunLoopAsync(client, input, output, options, null, new NoCancellation(), new ChatLoopSettings { Verbose = true, Info = () => "architecture phi3" });

        var text = output.ToString();
        Assert.Equal((0f, 7), (options.Temperature, options.TopK));
        Assert.Contains("Set parameter 'temperature' to '0'", text, StringComparison.Ordinal);
        Assert.Contains("Unknown parameter 'bogus'", text, StringComparison.Ordinal);
        Assert.Contains("Invalid value '2' for top_p", text, StringComparison.Ordinal);
        Assert.Contains("Set system message.\n>>> Be terse.\n", text.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Matches(@"top_k\s+7", text);
        Assert.Contains("architecture phi3", text, StringComparison.Ordinal);
        Assert.Matches(@"eval count: [0-2] token\(s\), rate: [0-9.]+ tokens/s", text);
    }

    [Fact]
    public async Task RunLoop_ConversationOutgrowsContext_DropsOldestTurnKeepsSystemAndGoesOn()
    {
        using var model = LocalModel.Load(SharedPaths.ReferenceFile("models", "ref-phi4-Q8_0.gguf"));
        using var client = new RecordingClient(new LocalChatClient(model, new LocalChatClientOptions { Context = new ContextOptions { ContextLength = 128 } }));
        using var output = new StringWriter();
        var turn = string.Join(' ', Enumerable.Repeat("tell me about the weather in the mountains today", 3));
        var input = new StringReader(string.Join('\n', Enumerable.Range(1, 5).Select(i => $"{i} {turn}")) + "\n/bye\n");

        await ChatCommand.RunLoopAsync(client, input, output, new ChatOptions { MaxOutputTokens = 2, Temperature = 0 }, "You are terse.", new NoCancellation());

        var text = output.ToString();
        Assert.Contains("(the conversation outgrew the 128-token context: dropped the oldest exchange)", text, StringComparison.Ordinal);
        Assert.Equal(5, client.Answered.Count); // every message was answered
        var last = client.Answered[^1];
        Assert.Equal(ChatRole.System, last[0].Role); // the system message is kept
        Assert.StartsWith("5 ", last[^1].Text, StringComparison.Ordinal);
        Assert.DoesNotContain(last, m => m.Text.StartsWith("1 ", StringComparison.Ordinal));
    }

    private static RootCommand Root() => EdgewiseCommand.BuildRoot(new CliConsole(TextWriter.Null, TextWriter.Null));

    private static IEnumerable<(string Command, Option Option)> Options(Command command, string path = "edgewise")
    {
        foreach (var o in command.Options)
        {
            yield return (path, o);
        }

        foreach (var s in command.Subcommands)
        {
            foreach (var pair in Options(s, path + " " + s.Name))
            {
                yield return pair;
            }
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Edgewise.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Edgewise.slnx was not found above the test assembly.");
    }

    // A row of the exit-code table: "| 3 | ... |".
    [GeneratedRegex(@"^\| (\d) \| (.+) \|\s*$", RegexOptions.Multiline)]
    private static partial Regex ExitRow();

    private sealed class NoCancellation : IAnswerCancellation
    {
        public CancellationTokenSource BeginAnswer() => new();
    }

    /// <summary>The real client; records the messages of every request that got an answer.</summary>
    private sealed class RecordingClient(IChatClient inner) : DelegatingChatClient(inner)
    {
        public List<List<ChatMessage>> Answered { get; } = [];

        public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var snapshot = messages.ToList();
            await foreach (var update in base.GetStreamingResponseAsync(snapshot, options, cancellationToken))
            {
                yield return update;
            }

            Answered.Add(snapshot);
        }
    }
}

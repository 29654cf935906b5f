using System.CommandLine;
using Edgewise.Cli.Commands;

namespace Edgewise.Cli;

/// <summary>Builds the root command and its subcommands.</summary>
public static class EdgewiseCommand
{
    /// <summary>Parses and runs <paramref name="args"/> against the console; returns the process exit code.</summary>
    public static int Run(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Parses and runs <paramref name="args"/>, writing to the given writers; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var console = new CliConsole(output, error);
        var root = BuildRoot(console);
        var configuration = new InvocationConfiguration
        {
            Output = output,
            Error = error,

            // Commands handle Ctrl+C themselves: 'run' stops only the current answer.
            ProcessTerminationTimeout = null,
        };
        var parsed = root.Parse(args);

        // Under --json every failure is one JSON object on standard output (docs/cli.md), parse errors included.
        console.Json = parsed.Tokens.Any(t => t.Value == "--json");
        if (console.Json && parsed.Errors.Count > 0)
        {
            return console.Fail("usage", string.Join("; ", parsed.Errors.Select(e => e.Message)), CliConsole.UsageError);
        }

        return parsed.Invoke(configuration);
    }

    /// <summary>The command tree.</summary>
    internal static RootCommand BuildRoot(CliConsole console)
    {
        var root = new RootCommand("Edgewise: AI agents on small language models, on your own hardware.");
        root.Subcommands.Add(ModelCommands.Create(console));
        ModelStoreCommands.AddTo(root, console);
        root.Subcommands.Add(ServeCommand.Create(console));
        foreach (var command in TextCommands.Create(console).Concat(EngineCommands.Create(console)).Concat(AgentCommands.Create(console)))
        {
            root.Subcommands.Add(command);
        }

        root.Subcommands.Add(McpCommands.Create(console));
        ObservabilityCommands.AddTo(root, console);
        root.Subcommands.Add(CompletionCommand.Create(console, root));
        return root;
    }
}

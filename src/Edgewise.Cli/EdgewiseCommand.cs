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

        var configuration = new InvocationConfiguration
        {
            Output = output,
            Error = error,

            // Commands handle Ctrl+C themselves: 'run' stops only the current answer.
            ProcessTerminationTimeout = null,
        };
        return root.Parse(args).Invoke(configuration);
    }
}

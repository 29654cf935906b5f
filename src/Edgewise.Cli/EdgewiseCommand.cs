using System.CommandLine;

namespace Edgewise.Cli;

/// <summary>Builds the root command and its subcommands.</summary>
public static class EdgewiseCommand
{
    /// <summary>Parses and runs <paramref name="args"/>; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        var root = new RootCommand("Edgewise: AI agents on small language models, on your own hardware.");
        return root.Parse(args).Invoke();
    }
}

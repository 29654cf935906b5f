namespace Edgewise.Cli;

/// <summary>The <c>edgewise</c> command.</summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static int Main(string[] args) => EdgewiseCommand.Run(args);
}

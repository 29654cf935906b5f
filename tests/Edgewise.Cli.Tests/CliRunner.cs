namespace Edgewise.Cli.Tests;

/// <summary>Runs the edgewise command in-process and captures what it prints.</summary>
internal static class CliRunner
{
    public static (int ExitCode, string Out, string Err) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = EdgewiseCommand.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}

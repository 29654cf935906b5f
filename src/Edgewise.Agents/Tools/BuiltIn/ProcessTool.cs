using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents.Tools.BuiltIn;

/// <summary>
/// A tool that runs one fixed program (SECURITY A12): no shell is involved; the program, its fixed arguments and the
/// order of the model's arguments are set by the developer, and each model value is passed as one argument-array
/// element, so quotes, <c>;</c>, <c>|</c>, <c>$( )</c> and backticks are plain characters. Values that start with
/// <c>-</c> are refused (no option injection) and control characters are refused. The process is killed (with its
/// children) at the timeout; output is capped.
/// </summary>
public static class ProcessTool
{
    /// <summary>The most characters of output returned.</summary>
    public const int MaxOutputChars = 16 * 1024;

    /// <summary>The longest value accepted for one argument.</summary>
    public const int MaxArgumentLength = 512;

    /// <summary>
    /// A tool named <paramref name="name"/> running <paramref name="executable"/> with <paramref name="fixedArguments"/>
    /// followed by the model's <paramref name="arguments"/> in order. Requires approval unless
    /// <paramref name="requiresApproval"/> is false.
    /// </summary>
    public static AgentTool Create(
        string name,
        string description,
        string executable,
        IReadOnlyList<string> fixedArguments,
        IReadOnlyList<(string Name, string Description)> arguments,
        bool requiresApproval = true,
        TimeSpan? timeout = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(description);
        ArgumentException.ThrowIfNullOrWhiteSpace(executable);
        ArgumentNullException.ThrowIfNull(fixedArguments);
        ArgumentNullException.ThrowIfNull(arguments);
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        var schema = SchemaFunction.ObjectSchema(arguments.Select(static a => (a.Name, a.Description, false)), MaxArgumentLength);
        var function = new SchemaFunction(name, description, schema, (values, cancellationToken) => RunAsync(executable, fixedArguments, arguments, values, limit, cancellationToken));
        return new AgentTool(function, requiresApproval);
    }

    private static async ValueTask<object?> RunAsync(
        string executable, IReadOnlyList<string> fixedArguments, IReadOnlyList<(string Name, string Description)> names, AIFunctionArguments values, TimeSpan limit, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            CreateNoWindow = true,
        };
        foreach (var argument in fixedArguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (argumentName, _) in names)
        {
            var value = SchemaFunction.Text(values, argumentName) ?? string.Empty;
            if (value.StartsWith('-') || value.Any(static c => char.IsControl(c)))
            {
                return "refused: argument '" + argumentName + "' may not start with '-' or contain control characters";
            }

            start.ArgumentList.Add(value);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("The process did not start.");
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(limit);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var output = process.StandardOutput.ReadToEndAsync(linked.Token);
        var error = process.StandardError.ReadToEndAsync(linked.Token);
        try
        {
            await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
            var text = new StringBuilder(await output.ConfigureAwait(false)).Append(await error.ConfigureAwait(false)).ToString();
            var capped = text.Length > MaxOutputChars ? text[..MaxOutputChars] + "\n[truncated]" : text;
            return string.Create(CultureInfo.InvariantCulture, $"exit code {process.ExitCode}\n{capped}");
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            if (!cancellationToken.IsCancellationRequested)
            {
                return "the program did not finish in time and was stopped";
            }

            throw;
        }
    }
}

using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Edgewise.Gguf;

namespace Edgewise.Cli;

/// <summary>
/// Where a command writes, plus the shared conventions: JSON output, error reporting and the exit codes of
/// docs/cli.md. Under <c>--json</c> a failure is printed to standard output as <c>{"error": {"code", "message"}}</c>;
/// otherwise as <c>error: MESSAGE (CODE)</c> on standard error.
/// </summary>
internal sealed class CliConsole(TextWriter output, TextWriter error)
{
    /// <summary>Exit code: the command failed for a reason none of the others names (a server error, an internal error).</summary>
    public const int Failure = 1;

    /// <summary>Exit code for a bad argument, option, name or input file.</summary>
    public const int UsageError = 2;

    /// <summary>Exit code: the model, file, session or server-side model named does not exist.</summary>
    public const int NotFound = 3;

    /// <summary>Exit code: a network failure (offline, refused, timed out, no server answering, redirect blocked, unauthorized).</summary>
    public const int Network = 4;

    /// <summary>Exit code: verification failed (checksum or size mismatch, not a valid model file).</summary>
    public const int Verification = 5;

    /// <summary>Exit code: not enough memory or disk.</summary>
    public const int Resources = 6;

    /// <summary>
    /// The <c>--json</c> settings over <paramref name="contracts"/>. Enums print as snake_case strings through one
    /// converter per enum type (the catch-all converter builds its converters by reflection, which the native binary lacks).
    /// </summary>
    internal static JsonSerializerOptions CreateOutputOptions(IJsonTypeInfoResolver contracts)
    {
        var options = new JsonSerializerOptions
        {
            WriteIndented = true,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            TypeInfoResolver = contracts,
        };
        foreach (var converter in EnumConverters())
        {
            options.Converters.Add(converter);
        }

        options.MakeReadOnly();
        return options;
    }

    /// <summary>The enums that <c>--json</c> output contains (CliJsonTests checks that none is missing).</summary>
    internal static IEnumerable<JsonConverter> EnumConverters()
    {
        yield return new JsonStringEnumConverter<Inference.Architectures.RopeScalingKind>(JsonNamingPolicy.SnakeCaseLower);
    }

    public TextWriter Out { get; } = output;

    public TextWriter Error { get; } = error;

    /// <summary>True when the command line asked for JSON: failures are then printed as JSON on standard output.</summary>
    public bool Json { get; set; }

    public void WriteJson<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, CliJsonContext.Info<T>(CliJsonContext.OutputOptions)));

    /// <summary>Reports a failure (as JSON under <c>--json</c>) and returns <paramref name="exitCode"/>.</summary>
    public int Fail(string code, string message, int exitCode)
    {
        if (Json)
        {
            WriteJson(new CliErrorOutput(new CliErrorDetail(code, message)));
        }
        else
        {
            Error.WriteLine(code is "usage" or "failed" ? $"error: {message}" : $"error: {message} ({code})");
        }

        return exitCode;
    }

    /// <summary>Runs <paramref name="body"/>, turning the expected failures into a one-line message and exit code 2.</summary>
    public int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (InvalidModelFileException e)
        {
            return Fail(e.Code, e.Message, Verification);
        }
        catch (CliException e)
        {
            return Fail(e.Code, e.Message, e.ExitCode);
        }
        catch (Models.ModelException e)
        {
            return Fail(e.Code, e.Message, Commands.ModelStoreCommands.ExitCode(e.Code));
        }
    }
}

/// <summary>A user-facing command error with a fixed message, an error code and an exit code.</summary>
internal sealed class CliException(string message, string code = "usage", int exitCode = CliConsole.UsageError) : Exception(message)
{
    public string Code { get; } = code;

    public int ExitCode { get; } = exitCode;
}

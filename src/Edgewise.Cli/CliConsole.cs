using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Edgewise.Gguf;

namespace Edgewise.Cli;

/// <summary>Where a command writes, plus the shared conventions: JSON output and error reporting.</summary>
internal sealed class CliConsole(TextWriter output, TextWriter error)
{
    /// <summary>Exit code for a bad argument or input file.</summary>
    public const int UsageError = 2;

    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public TextWriter Out { get; } = output;

    public TextWriter Error { get; } = error;

    public void WriteJson<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, s_json));

    /// <summary>Runs <paramref name="body"/>, turning the expected failures into a one-line message and exit code 2.</summary>
    public int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (InvalidModelFileException e)
        {
            Error.WriteLine($"error: {e.Message} ({e.Code})");
            return UsageError;
        }
        catch (CliException e)
        {
            Error.WriteLine($"error: {e.Message}");
            return UsageError;
        }
    }
}

/// <summary>A user-facing command error with a fixed message.</summary>
internal sealed class CliException(string message) : Exception(message);

using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Edgewise.Server.Logging;

/// <summary>How the server writes its log lines (<c>edgewise serve --log-format</c>).</summary>
public enum LogFormat
{
    /// <summary>One readable line per event: time, level, category, message.</summary>
    Text,

    /// <summary>One JSON object per line: time, level, category, message and each named field of the message.</summary>
    Json,
}

/// <summary>The options of <see cref="ServerLogFormatter"/>.</summary>
internal sealed class ServerLogFormatterOptions : ConsoleFormatterOptions
{
    /// <summary>Text or JSON lines.</summary>
    public LogFormat Format { get; set; }

    /// <summary>
    /// Whether an event's exception is written with its stack trace. Off unless the level is Debug or Trace: at the
    /// default level a failure is one line naming the exception's type and message.
    /// </summary>
    public bool StackTraces { get; set; }
}

/// <summary>
/// The console format of <c>edgewise serve</c>: exactly one line per event (control characters in messages become
/// spaces, so nothing a client sends can start a forged line), in text or JSON; stack traces only when asked for.
/// </summary>
internal sealed class ServerLogFormatter : ConsoleFormatter
{
    public const string FormatterName = "edgewise";

    private readonly ServerLogFormatterOptions _options;

    public ServerLogFormatter(IOptionsMonitor<ServerLogFormatterOptions> options)
        : base(FormatterName)
    {
        _options = options.CurrentValue;
    }

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception) ?? string.Empty;
        if (message.Length == 0 && logEntry.Exception is null)
        {
            return;
        }

        var time = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        if (_options.Format == LogFormat.Json)
        {
            WriteJson(logEntry, message, time, textWriter);
        }
        else
        {
            var line = new StringBuilder(128).Append(time).Append(' ').Append(Level(logEntry.LogLevel).PadRight(5)).Append(' ')
                .Append(logEntry.Category).Append(": ").Append(OneLine(message));
            if (logEntry.Exception is { } e)
            {
                line.Append(_options.StackTraces ? Environment.NewLine + e : " (" + e.GetType().Name + ": " + OneLine(e.Message) + ")");
            }

            textWriter.Write(line.Append(Environment.NewLine).ToString());
        }
    }

    private void WriteJson<TState>(in LogEntry<TState> entry, string message, string time, TextWriter writer)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("time", time);
            json.WriteString("level", Level(entry.LogLevel));
            json.WriteString("category", entry.Category);
            json.WriteString("message", message);
            if (entry.State is IReadOnlyList<KeyValuePair<string, object?>> fields)
            {
                foreach (var (key, value) in fields)
                {
                    if (key == "{OriginalFormat}")
                    {
                        continue;
                    }

                    var name = JsonNamingPolicy.SnakeCaseLower.ConvertName(key);
                    switch (value)
                    {
                        case null:
                            json.WriteNull(name);
                            break;
                        case int or long or short or byte or uint or ulong or double or float or decimal:
                            json.WriteNumber(name, Convert.ToDecimal(value, System.Globalization.CultureInfo.InvariantCulture));
                            break;
                        case bool b:
                            json.WriteBoolean(name, b);
                            break;
                        default:
                            json.WriteString(name, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                            break;
                    }
                }
            }

            if (entry.Exception is { } e)
            {
                json.WriteStartObject("exception");
                json.WriteString("type", e.GetType().FullName);
                json.WriteString("message", e.Message);
                if (_options.StackTraces)
                {
                    json.WriteString("stack_trace", e.ToString());
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        writer.Write(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length) + Environment.NewLine);
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "error",
        LogLevel.Critical => "crit",
        _ => "none",
    };

    private static string OneLine(string text)
    {
        if (!text.Any(char.IsControl))
        {
            return text;
        }

        return string.Create(text.Length, text, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? ' ' : source[i];
            }
        });
    }
}

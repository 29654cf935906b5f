using System.Globalization;
using System.Text;

namespace Edgewise.Server.Metrics;

/// <summary>Pieces of the Prometheus text exposition format shared by the metric writers.</summary>
internal static class PrometheusText
{
    public static void Header(StringBuilder text, string name, string type, string help) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n");

    public static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>A valid metric or label name: characters outside <c>[a-zA-Z0-9_:]</c> become <c>_</c>, a leading digit gets one before it.</summary>
    public static string Name(string name)
    {
        var builder = new StringBuilder(name.Length + 1);
        foreach (var c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or ':' ? c : '_');
        }

        if (builder.Length == 0 || char.IsAsciiDigit(builder[0]))
        {
            builder.Insert(0, '_');
        }

        return builder.ToString();
    }

    public static string Number(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf" : double.IsNaN(value) ? "NaN" : value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>Series beyond <see cref="ServerMetrics"/> that <c>/metrics</c> appends: registered by observability services.</summary>
internal interface IMetricsSource
{
    void WriteTo(StringBuilder text);
}

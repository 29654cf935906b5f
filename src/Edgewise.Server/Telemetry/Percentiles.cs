namespace Edgewise.Server.Telemetry;

/// <summary>Nearest-rank percentiles of a sample.</summary>
internal static class Percentiles
{
    /// <summary>The <paramref name="quantile"/> (0 to 1) of <paramref name="values"/> by nearest rank; sorts the list; null when empty.</summary>
    public static double? Of(List<double> values, double quantile)
    {
        if (values.Count == 0)
        {
            return null;
        }

        values.Sort();
        var rank = (int)Math.Ceiling(quantile * values.Count);
        return values[Math.Clamp(rank - 1, 0, values.Count - 1)];
    }
}

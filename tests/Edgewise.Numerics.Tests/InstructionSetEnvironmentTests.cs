using System.Diagnostics;
using System.Globalization;
using Edgewise.Numerics.Kernels;

namespace Edgewise.Numerics.Tests;

/// <summary>
/// The production dispatch under the runtime's own switches: a child process of this test assembly runs with
/// DOTNET_EnableAVX512=0 or DOTNET_EnableAVX2=0 and its matrix products must equal, bit for bit, this process's
/// products on the path forced through the internal override. (.NET 10 reads DOTNET_EnableAVX512 for the whole
/// F+BW+CD+DQ+VL group; the older DOTNET_EnableAVX512F no longer turns AVX-512 off.)
/// </summary>
public sealed class InstructionSetEnvironmentTests
{
    private const string DumpVariable = "EDGEWISE_NUMERICS_KERNEL_DUMP";
    private const int Rows = 12, Cols = 512;

    private static readonly TensorType[] s_types = VecDotTests.Types;

    [Fact]
    public void Compute_ProductionPath_MatchesScalarAndDumpsWhenAsked()
    {
        var best = Products(SimdSupport.Best, out var magnitude);
        var scalar = Products(SimdPath.Scalar, out _);
        for (var i = 0; i < best.Length; i++)
        {
            Assert.True(Math.Abs(best[i] - scalar[i]) <= 2e-5 * magnitude[i] + 1e-30, $"[{i}]: {best[i]} vs scalar {scalar[i]}");
        }

        var file = Environment.GetEnvironmentVariable(DumpVariable);
        if (!string.IsNullOrEmpty(file))
        {
            File.WriteAllLines(file, [SimdSupport.Best.ToString(), .. best.Select(v => BitConverter.SingleToInt32Bits(v).ToString("X8", CultureInfo.InvariantCulture))]);
        }
    }

    [Theory]
    [InlineData("DOTNET_EnableAVX512", "Vector256")]
    [InlineData("DOTNET_EnableAVX2", "Vector128")]
    public async Task Compute_InstructionSetDisabledByEnvironment_SameBitsAsForcedPath(string variable, string cappedPath)
    {
        var expectedPath = (SimdPath)Math.Min((int)Enum.Parse<SimdPath>(cappedPath), (int)SimdSupport.Best);
        var dump = Path.Combine(Path.GetTempPath(), $"edgewise-kernels-{Guid.NewGuid():N}.txt");
        try
        {
            var start = ChildRun(variable, dump);
            using var child = Process.Start(start)!;
            var stdout = child.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            var stderr = child.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            await child.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.True(child.ExitCode == 0, $"child exit {child.ExitCode}: {await stdout} {await stderr}");

            var lines = await File.ReadAllLinesAsync(dump, TestContext.Current.CancellationToken);
            Assert.Equal(expectedPath.ToString(), lines[0]);
            var expected = Products(expectedPath, out _);
            Assert.Equal(expected.Length, lines.Length - 1);
            for (var i = 0; i < expected.Length; i++)
            {
                var actual = int.Parse(lines[i + 1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                Assert.True(
                    BitConverter.SingleToInt32Bits(expected[i]) == actual,
                    $"{s_types[i / (6 * Rows)]} [{i % (6 * Rows)}]: {expected[i]} here, {BitConverter.Int32BitsToSingle(actual)} with {variable}=0");
            }
        }
        finally
        {
            File.Delete(dump);
        }
    }

    [Fact]
    public async Task Compute_AvxVnniDisabledByEnvironment_MatchesScalarAndVnniBitsForGroupKernels()
    {
        // Without AVX-VNNI the group kernels (LegacyGemm for Q4_0/Q5_0/Q8_0 prompts, KQuantGemm for Q4_K) sum
        // vpmaddubsw products in 16 bits and widen them with vpmaddwd instead of vpdpbusd: the same integers in the
        // same lanes and the same float chain, so these types keep this process's bits. The child also asserts the
        // scalar agreement of every type (Q6_K prompts, for one, change kernel and chain without VNNI).
        var dump = Path.Combine(Path.GetTempPath(), $"edgewise-kernels-{Guid.NewGuid():N}.txt");
        try
        {
            var start = ChildRun("DOTNET_EnableAVXVNNI", dump);
            using var child = Process.Start(start)!;
            var stdout = child.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            var stderr = child.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            await child.WaitForExitAsync(TestContext.Current.CancellationToken);
            var output = await stdout;
            Assert.True(child.ExitCode == 0, $"child exit {child.ExitCode}: {output} {await stderr}");
            Assert.Contains("Total: 1, Errors: 0, Failed: 0", output, StringComparison.Ordinal);

            var lines = await File.ReadAllLinesAsync(dump, TestContext.Current.CancellationToken);
            Assert.Equal(SimdSupport.Best.ToString(), lines[0]);
            var expected = Products(SimdSupport.Best, out _);
            Assert.Equal(expected.Length, lines.Length - 1);
            var compared = 0;
            for (var i = 0; i < expected.Length; i++)
            {
                var type = s_types[i / (6 * Rows)];
                if (type is not (TensorType.Q4_0 or TensorType.Q5_0 or TensorType.Q8_0 or TensorType.Q4_K))
                {
                    continue;
                }

                var actual = int.Parse(lines[i + 1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                Assert.True(
                    BitConverter.SingleToInt32Bits(expected[i]) == actual,
                    $"{type} [{i % (6 * Rows)}]: {expected[i]} here, {BitConverter.Int32BitsToSingle(actual)} with DOTNET_EnableAVXVNNI=0");
                compared++;
            }

            Assert.Equal(4 * 6 * Rows, compared);
        }
        finally
        {
            File.Delete(dump);
        }
    }

    /// <summary>Every type's product of <see cref="Rows"/> weight rows with one token and with five, on <paramref name="path"/>.</summary>
    private static float[] Products(SimdPath path, out double[] magnitude)
    {
        var results = new List<float>();
        var magnitudes = new List<double>();
        var wq = new float[Cols];
        foreach (var type in s_types)
        {
            var rowBytes = (int)TensorTypeInfo.Get(type).RowBytes(Cols);
            var weights = new byte[Rows * rowBytes];
            var w = TestData.Gaussian(Rows * Cols, (ulong)type + 1, 0.05f);
            for (var r = 0; r < Rows; r++)
            {
                Quantize.Row(type, w.AsSpan(r * Cols, Cols), weights.AsSpan(r * rowBytes, rowBytes));
            }

            foreach (var n in new[] { 1, 5 })
            {
                var input = TestData.Gaussian(n * Cols, (ulong)(n + 40), 1.0f);
                var output = new float[n * Rows];
                unsafe
                {
                    fixed (byte* p = weights)
                    {
                        MatMul.Compute(type, (nint)p, Rows, Cols, input, output, n, null, default, path);
                    }
                }

                results.AddRange(output);
                for (var t = 0; t < n; t++)
                {
                    for (var r = 0; r < Rows; r++)
                    {
                        Dequantize.Row(type, weights.AsSpan(r * rowBytes, rowBytes), wq);
                        var m = 0.0;
                        for (var c = 0; c < Cols; c++)
                        {
                            m += Math.Abs(wq[c] * input[t * Cols + c]);
                        }

                        magnitudes.Add(m);
                    }
                }
            }
        }

        magnitude = [.. magnitudes];
        return [.. results];
    }

    /// <summary>This test assembly re-run on the production-path test alone, with <paramref name="variable"/> = 0 and the kernels' outputs dumped to <paramref name="dump"/>.</summary>
    private static ProcessStartInfo ChildRun(string variable, string dump)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(InstructionSetEnvironmentTests).Assembly.Location);
        start.ArgumentList.Add("-method");
        start.ArgumentList.Add($"{typeof(InstructionSetEnvironmentTests).FullName}.{nameof(Compute_ProductionPath_MatchesScalarAndDumpsWhenAsked)}");
        start.Environment[variable] = "0";
        start.Environment[DumpVariable] = dump;
        return start;
    }

}

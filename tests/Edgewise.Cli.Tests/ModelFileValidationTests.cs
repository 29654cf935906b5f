using System.Runtime.InteropServices;
using Edgewise.Gguf;
using Edgewise.Testing;

namespace Edgewise.Cli.Tests;

/// <summary>
/// Model files that cannot run: a FIFO (would block the reader forever), a 0-byte file, a head count of 0 and an
/// unsupported tokenizer model. Every command that opens a model refuses them at once with one line and its code.
/// </summary>
public sealed partial class ModelFileValidationTests : IDisposable
{
    private static readonly TimeSpan NoHang = TimeSpan.FromSeconds(60);

    private readonly string _dir = Directory.CreateTempSubdirectory("edgewise-validate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("model", "info")]
    [InlineData("tokenize", "-m")]
    [InlineData("generate", "-m")]
    public async Task Fifo_AsModel_CommandFailsAtOnceWithNotRegular(string command, string flag)
    {
        var fifo = MakeFifo();
        string[] args = command switch
        {
            "model" => ["model", "info", fifo],
            "tokenize" => ["tokenize", flag, fifo, "hello"],
            _ => ["generate", flag, fifo, "-p", "hello", "-n", "1"],
        };

        var (code, _, error) = await Task.Run(() => CliRunner.Run(args), TestContext.Current.CancellationToken).WaitAsync(NoHang, TestContext.Current.CancellationToken);

        Assert.Equal(CliConsole.Verification, code);
        Assert.Contains(GgufErrorCodes.NotRegularFile, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fifo_ImportAndServe_FailAtOnce()
    {
        var fifo = MakeFifo();
        var home = Path.Combine(_dir, "home");

        var import = await AgentCommandTests.RunCliAsync(home, string.Empty, "import", fifo).WaitAsync(NoHang, TestContext.Current.CancellationToken);
        var serve = await ServeProcess.RunToExitAsync(home, "serve", "--port", "0", "-m", fifo).WaitAsync(NoHang, TestContext.Current.CancellationToken);

        Assert.NotEqual(0, import.Code);
        Assert.Contains("invalid_model_file", import.Err, StringComparison.Ordinal);
        Assert.Equal(CliConsole.Verification, serve.Code);
        Assert.Contains(GgufErrorCodes.NotRegularFile, serve.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Fifo_GgufFileOpen_ThrowsNotRegularWithoutBlocking()
    {
        var fifo = MakeFifo();

        var error = Assert.Throws<InvalidModelFileException>(() => GgufFile.Open(fifo));

        Assert.Equal(GgufErrorCodes.NotRegularFile, error.Code);
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("heads0")]
    public async Task Serve_ModelThatCannotRun_FailsAtStartNamingModelAndReason(string kind)
    {
        var model = Path.Combine(_dir, kind + ".gguf");
        if (kind == "empty")
        {
            File.WriteAllBytes(model, []);
        }
        else
        {
            Rewrite(SharedPaths.ReferenceFile("models", "ref-qwen2-Q4_K_M.gguf"), model, "qwen2.attention.head_count", GgufValue.UInt32(0));
        }

        var result = await ServeProcess.RunToExitAsync(Path.Combine(_dir, "home"), "serve", "--port", "0", "-m", model);

        Assert.Equal(CliConsole.Verification, result.Code);
        Assert.Contains($"model {kind}:", result.Err, StringComparison.Ordinal);
        Assert.Contains(kind == "empty" ? "(gguf.header.truncated)" : "(model.hparams)", result.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("listening", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_RunsTheValidationGenerateRuns_UnsupportedVocabModelRefusedByBoth()
    {
        var model = Path.Combine(_dir, "vocab.gguf");
        Rewrite(SharedPaths.ReferenceFile("models", "ref-qwen2-Q4_K_M.gguf"), model, "tokenizer.ggml.model", GgufValue.String("no-such-tokenizer"));

        var generate = CliRunner.Run("generate", "-m", model, "-p", "hi", "-n", "1");
        var import = await AgentCommandTests.RunCliAsync(Path.Combine(_dir, "home"), string.Empty, "import", model);

        Assert.Equal(CliConsole.Verification, generate.ExitCode);
        Assert.Contains("vocab.model.unsupported", generate.Err, StringComparison.Ordinal);
        Assert.NotEqual(0, import.Code);
        Assert.Contains("vocab.model.unsupported", import.Err, StringComparison.Ordinal);
    }

    /// <summary>Copies a GGUF file with one metadata value replaced.</summary>
    internal static void Rewrite(string source, string destination, string key, GgufValue value)
    {
        using var file = GgufFile.Open(source);
        Assert.True(file.Metadata.Contains(key), key);
        var writer = new GgufWriter(file.Header.Version).AddRange(file.Metadata.Select(kv => kv.Key == key ? new KeyValuePair<string, GgufValue>(key, value) : kv));
        foreach (var t in file.Tensors)
        {
            writer.AddTensor(t.Name, t.Type, t.Dimensions.ToArray(), stream => stream.Write(file.GetTensorData(t)));
        }

        writer.WriteTo(destination);
    }

    private string MakeFifo()
    {
        var path = Path.Combine(_dir, "fifo-" + Guid.NewGuid().ToString("N")[..8] + ".gguf");
        Assert.Equal(0, MkFifo(path, 0x1B6));
        return path;
    }

    [LibraryImport("libc", EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MkFifo(string path, int mode);
}
